//! Session timeouts (docs/replies.md, `limits.timeouts`) under tokio's paused clock: Moat
//! runs in this process on the test's runtime, with a Maildir backend so that the only
//! sockets are the client's. Whenever every task waits, tokio moves the clock to the next
//! timer, so a 1 s timeout passes at once and is measured exactly (on tokio's clock).

mod common;

use common::client::{Async, Client};
use common::inproc::InProcess;
use moat::config::Config;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

type Smtp = Client<Async<TcpStream>>;

/// Moat with `timeouts` (YAML lines under `limits.timeouts`, each indented four spaces) and
/// the Maildir backend in `dir`.
fn config(dir: &std::path::Path, timeouts: &str) -> Config {
    let yaml = format!(
        "hostname: mx.example.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
         backend:\n  protocol: maildir\n  path: {}\nshutdown_grace: 1s\nrules:\n  files: []\n\
         limits:\n  timeouts:\n{timeouts}",
        dir.join("mail").display()
    );
    Config::from_yaml(&yaml, "timeouts.yaml").unwrap()
}

async fn start(dir: &std::path::Path, timeouts: &str) -> InProcess {
    InProcess::start(config(dir, timeouts)).await
}

async fn ehlo(addr: SocketAddr) -> Smtp {
    let mut c = Smtp::connect_async(addr).await;
    assert!(c.cmd_async("EHLO client.test").await.starts_with("250"));
    c
}

/// The next reply and how long (on tokio's clock) it took to come.
async fn timed_reply(c: &mut Smtp) -> (String, Duration) {
    let t = Instant::now();
    let r = c.reply_async().await;
    (r, t.elapsed())
}

fn expect(reply: &str, code: &str, what: &str) {
    assert!(
        reply.starts_with(code),
        "{what}: expected {code}, got {reply:?}"
    );
}

/// Whole seconds of the bound, give or take the scheduling of one loopback round trip.
fn about(took: Duration, bound: Duration) -> bool {
    took >= bound && took < bound + Duration::from_millis(50)
}

#[tokio::test(start_paused = true)]
async fn limits_idle_command_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let moat = start(dir.path(), "    command: 1s\n").await;
    let mut c = ehlo(moat.addr).await;
    let (r, took) = timed_reply(&mut c).await;
    expect(&r, "421 4.4.2", "idle after EHLO (command timeout 1s)");
    assert!(about(took, Duration::from_secs(1)), "after {took:?}");
    assert!(c.is_closed_async().await, "closed after timeout");
}

#[tokio::test(start_paused = true)]
async fn limits_greeting_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let moat = start(dir.path(), "    greeting: 1s\n").await;
    let mut c = Smtp::connect_async(moat.addr).await;
    let (r, took) = timed_reply(&mut c).await;
    expect(
        &r,
        "421 4.4.2",
        "silent after greeting (greeting timeout 1s)",
    );
    assert!(about(took, Duration::from_secs(1)), "after {took:?}");
    assert!(c.is_closed_async().await, "closed after timeout");
}

/// One byte every 300 ms keeps every idle timer alive (greeting and command: 10 s), but the
/// line itself must end within `limits.timeouts.command_line` of its first byte.
#[tokio::test(start_paused = true)]
async fn limits_dribbled_command_line_cut_at_line_deadline() {
    let log = common::inproc::log();
    let dir = tempfile::tempdir().unwrap();
    let timeouts = "    greeting: 10s\n    command: 10s\n    command_line: 1s\n";
    let moat = start(dir.path(), timeouts).await;
    let mut c = ehlo(moat.addr).await;
    let started = Instant::now();
    let reply = loop {
        assert!(started.elapsed() < Duration::from_secs(5), "never cut");
        c.send_async(b"N").await;
        // Pacing, the behaviour under test: the next byte 300 ms later (on the paused clock).
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(300), c.reply_async()).await {
            break r;
        }
    };
    let took = started.elapsed();
    expect(
        &reply,
        "421 4.4.2",
        "a command line dribbled past its deadline",
    );
    assert!(
        about(took, Duration::from_secs(1)),
        "cut after {took:?} (deadline 1s)"
    );
    assert!(c.is_closed_async().await, "closed after the 421");
    assert!(
        log.wait_for("end=\"slow_command\"", Duration::from_secs(10)),
        "session end logged:\n{}",
        log.text()
    );
}

#[tokio::test(start_paused = true)]
async fn limits_data_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut moat = start(dir.path(), "    data: 1s\n").await;
    let mut c = ehlo(moat.addr).await;
    expect(
        &c.cmd_async("MAIL FROM:<a@sender.test>").await,
        "250",
        "MAIL",
    );
    expect(
        &c.cmd_async("RCPT TO:<alice@example.test>").await,
        "250",
        "RCPT",
    );
    expect(&c.cmd_async("DATA").await, "354", "DATA");
    c.send_async(b"Subject: slow\r\n\r\npartial line").await;
    let (r, took) = timed_reply(&mut c).await;
    expect(&r, "421 4.4.2", "idle inside DATA (data timeout 1s)");
    assert!(about(took, Duration::from_secs(1)), "after {took:?}");
    assert!(c.is_closed_async().await, "closed after timeout");
    // Once the server has stopped, nothing can still arrive: no partial message was stored.
    moat.stop();
    (&mut moat.done).await.unwrap();
    let stored = walk(&dir.path().join("mail"));
    assert!(stored.is_empty(), "partial message stored: {stored:?}");
}

#[tokio::test(start_paused = true)]
async fn limits_session_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let moat = start(dir.path(), "    session: 2s\n").await;
    let mut c = ehlo(moat.addr).await;
    let t = Instant::now();
    let mut last;
    loop {
        last = c.cmd_async("NOOP").await;
        if !last.starts_with("250") || t.elapsed() > Duration::from_secs(6) {
            break;
        }
        // Pacing, the behaviour under test: a client that stays busy (a NOOP every 200 ms,
        // well inside the 10 s command timeout) is still cut at the session limit.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    expect(&last, "421 4.4.2", "busy session over its 2s limit");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_millis(2100),
        "session limit 2s enforced after {took:?}"
    );
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}
