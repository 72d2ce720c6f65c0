//! Slow-client flood (resource exhaustion), against the shipped default configuration (only
//! the ports differ): 2,000 connections from one IP and 2,000 spread over 127.0.0.0/8 (a
//! different /24 each, so per-network limits do not stop them), half idling after the
//! greeting, half sending one byte every 2 s. The per-IP limit refuses the single-IP flood at
//! once; the spread flood fills the 1,000 slots of `limits.max_connections`, and from 90 % of
//! them each new connection sheds the session idle longest, so legitimate clients — one
//! arriving while the flood still comes in, one after it — deliver within 5 s, and a message
//! being received all along is never shed. Then everything is torn down: the test checks the
//! flood while it holds, it does not wait for timeouts.

use super::support::*;
use crate::common::client::Client;
use crate::common::http::metric;
use crate::common::moat::Moat;
use crate::common::tools;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;

const PER_SOURCE: usize = 2_000;
/// Each legitimate client must have its message accepted within this time.
const LEGIT_BOUND: Duration = Duration::from_secs(5);

/// 4,000 client sockets here plus as many in Moat: lift the soft descriptor limit of this
/// process (Moat inherits it) with util-linux's prlimit; harmless if already high.
fn raise_fd_limit() {
    let _ = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            "--nofile=65536:65536",
        ])
        .status();
}

/// The embedded `config/moat.yaml` as shipped, with only the SMTP and admin ports changed.
/// Its backend is the default Maildir (`./moat-mail`, in the test's directory).
fn start_default_moat() -> (Moat, SocketAddr) {
    let shipped = moat::config::DEFAULT_YAML;
    let yaml = shipped
        .replace("  - 127.0.0.1:2525\n", "  - 127.0.0.1:{PORT}\n")
        .replace("listen: 127.0.0.1:9925", "listen: \"{ADMIN}\"");
    assert_eq!(
        yaml.lines().filter(|l| !shipped.contains(l)).count(),
        2,
        "exactly the two ports differ from the shipped file"
    );
    let moat = Moat::start(&yaml);
    let admin = moat.admin.expect("the shipped file has an admin listener");
    (moat, admin)
}

/// Messages in alice's Maildir containing `marker`.
fn delivered(moat: &Moat, marker: &str) -> usize {
    let new = moat.dir().join("moat-mail/example.test/alice/new");
    let Ok(entries) = std::fs::read_dir(&new) else {
        return 0;
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .filter(|m| String::from_utf8_lossy(m).contains(marker))
        .count()
}

async fn connect_from(src: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = TcpSocket::new_v4()?;
    sock.bind(SocketAddr::from((src, 0)))?;
    sock.connect(to).await
}

/// How one flood connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Refused at once: `421` instead of the greeting (or the close overtook it).
    Refused,
    /// Greeted, then shed with `421 4.7.0` to make room.
    Shed,
    /// Greeted, then cut with `421 4.4.2` for dribbling a command line.
    SlowCommand,
    /// Greeted, then closed otherwise.
    Closed,
    /// Still open when the test tore the flood down.
    Held,
    /// No greeting within 10 s (Moat too slow to even accept).
    NoGreeting,
}

/// Reads the greeting; then idles (`dribble` false) or sends one byte of an endless command
/// line every 2 s, until Moat closes the connection or the test stops the flood.
async fn slow_client(mut s: TcpStream, dribble: bool, mut stop: watch::Receiver<bool>) -> End {
    let mut buf = [0u8; 512];
    let n = match timeout(Duration::from_secs(10), s.read(&mut buf)).await {
        Ok(Ok(n)) => n,
        Ok(Err(_)) => 0,
        Err(_) => return End::NoGreeting,
    };
    if n == 0 || buf[..n].starts_with(b"421") {
        return End::Refused;
    }
    loop {
        if dribble && s.write_all(b"N").await.is_err() {
            return End::Closed;
        }
        // Pacing, the behaviour under test: a dribbler sends one byte every 2 s.
        let pause = tokio::time::sleep(Duration::from_secs(2));
        tokio::select! {
            r = s.read(&mut buf) => return match r {
                Ok(n) if buf[..n].starts_with(b"421 4.7.0") => End::Shed,
                Ok(n) if buf[..n].starts_with(b"421 4.4.2") => End::SlowCommand,
                _ => End::Closed,
            },
            _ = pause, if dribble => {}
            _ = stop.changed() => return End::Held,
        }
    }
}

/// A whole transaction by a well-behaved client from `src`; true when the end of data got
/// `250`. Blocking, for `spawn_blocking`.
fn legit_delivery(src: [u8; 4], addr: SocketAddr, marker: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = rt
        .block_on(connect_from(src, addr))
        .unwrap()
        .into_std()
        .unwrap();
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(LEGIT_BOUND)).unwrap();
    let mut c = Client::new(stream);
    expect(&c.reply(), "220", "legitimate greeting during the flood");
    expect(&c.cmd("EHLO legit.test"), "250", "EHLO");
    expect(&c.cmd("MAIL FROM:<s@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(&message(marker, 2_000));
    code(&c.cmd(".")) == 250
}

/// Times a legitimate delivery from `src` (on a blocking thread).
async fn timed_legit_delivery(src: [u8; 4], addr: SocketAddr, marker: &'static str) -> Duration {
    let started = Instant::now();
    let ok = tokio::task::spawn_blocking(move || legit_delivery(src, addr, marker))
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("legitimate delivery {marker} during the flood: {ok} in {took:?}");
    assert!(ok && took < LEGIT_BOUND, "{marker}: {ok} after {took:?}");
    took
}

/// swaks, from its own address, delivers within `LEGIT_BOUND` while the flood holds.
fn swaks_delivery(addr: SocketAddr, data: &std::path::Path) {
    if !tools::have(
        "flood_with_default_config_legit_clients_deliver_within_5s",
        &["swaks"],
    ) {
        return;
    }
    let started = Instant::now();
    let out = tools::swaks_output(
        addr,
        "alice@example.test",
        data,
        &["--local-interface", "127.255.0.3"],
    );
    let took = started.elapsed();
    eprintln!(
        "swaks delivery during the flood: {} in {took:?}",
        out.status
    );
    assert!(
        out.status.success() && took < LEGIT_BOUND,
        "swaks during the flood after {took:?}:\n{}",
        tools::transcript(&out)
    );
}

/// A client in the middle of DATA for the whole flood, at a modest but healthy rate: never
/// shed, its message accepted once the flood is over. Blocking.
fn data_client(
    addr: SocketAddr,
    in_data: std::sync::mpsc::Sender<()>,
    flood_over: std::sync::mpsc::Receiver<()>,
) -> String {
    let mut c = Client::new(
        crate::common::client::TcpClient::connect_from([127, 255, 1, 1].into(), addr).stream,
    );
    c.stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    expect(&c.reply(), "220", "greeting");
    expect(&c.cmd("EHLO steady.test"), "250", "EHLO");
    expect(&c.cmd("MAIL FROM:<steady@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(b"Subject: flood-steady\r\n\r\nflood-steady\r\n");
    in_data.send(()).unwrap();
    // 10 lines of 66 bytes every 50 ms: ≈13 kB/s, well above the slow-data floor (1 KiB/s).
    let lines = b"a line of a message received at a healthy rate during the flood\r\n".repeat(10);
    while flood_over.recv_timeout(Duration::from_millis(50)).is_err() {
        c.send(&lines);
    }
    c.cmd(".")
}

fn spread_source(i: usize) -> [u8; 4] {
    // Over 127.0.0.0/8, one /24 each; 127.0.0.1 (the single-IP flood) and 127.255.x (the
    // legitimate clients) kept out.
    [127, 1 + (i / 250) as u8, (i % 250) as u8, 2]
}

#[test]
fn flood_with_default_config_legit_clients_deliver_within_5s() {
    raise_fd_limit();
    let (moat, admin) = start_default_moat();
    let addr = moat.addr;
    let (over_tx, over_rx) = std::sync::mpsc::channel();
    let (in_data_tx, in_data_rx) = std::sync::mpsc::channel();
    let steady = std::thread::spawn(move || data_client(addr, in_data_tx, over_rx));
    in_data_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the steady client is in DATA before the flood");
    let data_file = moat.dir().join("swaks.eml");
    std::fs::write(&data_file, message("flood-swaks", 2_000)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ends = rt.block_on(async move {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Each flood client reports its connection here.
        let (connected, mut connections) = tokio::sync::mpsc::unbounded_channel::<()>();
        let mut tasks = Vec::new();
        let flood_started = Instant::now();
        let mut mid_flood = None;
        for i in 0..2 * PER_SOURCE {
            let src = if i < PER_SOURCE {
                [127, 0, 0, 1]
            } else {
                spread_source(i - PER_SOURCE)
            };
            // Pacing: 1,000/s so that the kernel's accept queue (backlog 1,024) does not
            // overflow: dropped handshakes would stall the test, not Moat.
            if i % 100 == 99 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Three quarters in, the table is full and the flood still arriving.
            if i == 3 * PER_SOURCE / 2 {
                mid_flood = Some(tokio::spawn(timed_legit_delivery(
                    [127, 255, 0, 1],
                    addr,
                    "flood-legit-during",
                )));
            }
            let (connected, stop) = (connected.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move {
                let s = connect_from(src, addr).await.expect("flood connect");
                let _ = connected.send(());
                slow_client(s, i % 2 == 0, stop).await
            }));
        }
        let all_connected = async {
            for _ in 0..2 * PER_SOURCE {
                connections.recv().await;
            }
        };
        let left = Duration::from_secs(15).saturating_sub(flood_started.elapsed());
        timeout(left, all_connected)
            .await
            .expect("flood connects too slow");
        eprintln!(
            "flood of {} connections open after {:?}",
            2 * PER_SOURCE,
            flood_started.elapsed()
        );
        mid_flood.unwrap().await.unwrap();
        // The flood holds: another legitimate client, from its own address, after it; and
        // a real MTA-like client, swaks (skipped when not installed).
        timed_legit_delivery([127, 255, 0, 2], addr, "flood-legit-after").await;
        tokio::task::spawn_blocking(move || swaks_delivery(addr, &data_file))
            .await
            .unwrap();
        // Tear down: every flood client still open says so and closes.
        let _ = stop_tx.send(true);
        let mut ends = Vec::new();
        for t in tasks {
            ends.push(t.await.unwrap());
        }
        ends
    });
    over_tx.send(()).unwrap();
    let steady_reply = steady.join().unwrap();
    expect(
        &steady_reply,
        "250",
        "a message received at a healthy rate during the flood",
    );

    let (single, spread) = ends.split_at(PER_SOURCE);
    let count = |set: &[End], what: End| set.iter().filter(|e| **e == what).count();
    let shed = count(spread, End::Shed) + count(single, End::Shed);
    eprintln!(
        "single-IP flood: refused at once {}, shed {}, held {}; spread flood: refused {}, shed {}, cut for a slow line {}, held {}, closed otherwise {}; shed (metric) {}",
        count(single, End::Refused),
        count(single, End::Shed),
        count(single, End::Held),
        count(spread, End::Refused),
        count(spread, End::Shed),
        count(spread, End::SlowCommand),
        count(spread, End::Held),
        count(spread, End::Closed),
        metric(admin, "moat_connections_shed_total{victim=\"idle\"}"),
    );
    let silent = count(ends.as_slice(), End::NoGreeting);
    assert_eq!(silent, 0, "{silent} connections never greeted");
    assert!(
        count(single, End::Refused) >= PER_SOURCE / 2,
        "per-IP limit refused only {} of the single-IP flood",
        count(single, End::Refused)
    );
    // The spread flood outnumbers the table: it was absorbed by shedding, never refused.
    assert_eq!(count(spread, End::Refused), 0, "spread flood refused");
    assert!(shed >= PER_SOURCE / 2, "only {shed} flood sessions shed");
    assert!(metric(admin, "moat_connections_shed_total{victim=\"idle\"}") >= shed as f64);
    for marker in ["flood-legit-during", "flood-legit-after", "flood-steady"] {
        assert_eq!(delivered(&moat, marker), 1, "{marker} in the Maildir");
    }
    if tools::find_program("swaks").is_some() {
        assert_eq!(
            delivered(&moat, "flood-swaks"),
            1,
            "swaks' message in the Maildir"
        );
    }
    // Every slot is given back: the flooding address connects as normal again.
    wait_for_greeting_from([127, 0, 0, 1], addr);
}

/// Polls (with a deadline) until a client from `src` is greeted rather than refused.
fn wait_for_greeting_from(src: [u8; 4], addr: SocketAddr) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut greeting = None;
    let greeted = crate::common::poll::poll_until(Duration::from_secs(10), || {
        greeting = rt.block_on(async {
            let mut s = connect_from(src, addr).await.ok()?;
            let mut buf = [0u8; 256];
            let n = timeout(Duration::from_secs(5), s.read(&mut buf))
                .await
                .ok()?
                .ok()?;
            Some(String::from_utf8_lossy(&buf[..n]).into_owned())
        });
        greeting.as_deref().is_some_and(|g| g.starts_with("220 "))
    });
    assert!(greeted, "after the flood: {greeting:?}");
}
