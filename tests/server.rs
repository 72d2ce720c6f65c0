//! Loopback integration tests that run the real server in-process on port 0.

mod common;

use common::inproc::InProcess;
use moat::config::Config;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

fn config(dir: &std::path::Path, extra: &str) -> Config {
    let yaml = format!(
        "hostname: mx.example.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: {}\nshutdown_grace: 5s\n{extra}",
        dir.join("mail").display()
    );
    Config::from_yaml(&yaml, "test.yaml").unwrap()
}

/// Moat on the Maildir config plus `extra`, running until the test ends; its address.
async fn serve(dir: &std::path::Path, extra: &str) -> SocketAddr {
    let moat = InProcess::start(config(dir, extra)).await;
    let addr = moat.addr;
    // Served until the test's runtime ends.
    std::mem::forget(moat);
    addr
}

type Client = common::client::Client<common::client::Async<TcpStream>>;

/// Connected, greeted, after EHLO.
async fn ehlo(addr: SocketAddr) -> Client {
    let mut c = Client::connect_async(addr).await;
    assert!(c.cmd_async("EHLO client.test").await.starts_with("250"));
    c
}

#[tokio::test]
async fn graceful_shutdown_closes_idle_sessions_and_finishes_messages_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut moat = InProcess::start(config(dir.path(), "")).await;
    let addr = moat.addr;

    let mut idle = Client::connect_async(addr).await;
    assert!(idle.cmd_async("EHLO idle.test").await.starts_with("250"));
    let mut busy = Client::connect_async(addr).await;
    busy.cmd_async("EHLO busy.test").await;
    busy.cmd_async("MAIL FROM:<a@b.test>").await;
    busy.cmd_async("RCPT TO:<alice@example.test>").await;
    assert!(busy.cmd_async("DATA").await.starts_with("354"));
    busy.send_async(b"Subject: in flight\r\n\r\nfirst half\r\n")
        .await;

    moat.stop();
    // The idle session is told at once.
    assert!(idle.reply_async().await.starts_with("421 4.3.2"));
    // No new connections are accepted once shutdown began: the accept loops were aborted
    // before the 421 went out; a connection the kernel still queued is never served.
    let refused = TcpStream::connect(addr).await;
    if let Ok(s) = refused {
        // The listener may still be closing: the connection must not be served.
        let mut c = BufReader::new(s);
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(2), c.read_line(&mut line)).await;
        assert!(
            matches!(n, Ok(Ok(0)) | Ok(Err(_)) | Err(_)),
            "served after shutdown: {line}"
        );
    }
    // The message in flight completes and is delivered.
    busy.send_async(b"second half\r\n.\r\n").await;
    assert!(busy.reply_async().await.starts_with("250"));
    // Then the session ends with 421 (it is idle again) and the server stops.
    assert!(busy.reply_async().await.starts_with("421 4.3.2"));
    tokio::time::timeout(Duration::from_secs(10), &mut moat.done)
        .await
        .unwrap()
        .unwrap();
    let delivered = std::fs::read_dir(dir.path().join("mail/example.test/alice/new"))
        .unwrap()
        .count();
    assert_eq!(delivered, 1);
}

#[tokio::test]
async fn connections_over_the_total_limit_get_421() {
    let dir = tempfile::tempdir().unwrap();
    // Shedding off: a full table refuses (with it on, an idle session would make room).
    let extra = "limits:\n  max_connections: 2\n  shed_at_percent: 0\n";
    let addr = serve(dir.path(), extra).await;
    let _a = Client::connect_async(addr).await;
    let _b = Client::connect_async(addr).await;
    let (r, _w) = TcpStream::connect(addr).await.unwrap().into_split();
    let mut c = BufReader::new(r);
    let mut line = String::new();
    c.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("421 4.7.0"), "{line}");
}

#[tokio::test]
async fn stand_alone_maildir_delivery_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path(), "").await;
    let mut c = ehlo(addr).await;
    c.cmd_async("MAIL FROM:<a@b.test>").await;
    assert!(
        c.cmd_async("RCPT TO:<Bob@Example.test>")
            .await
            .starts_with("250")
    );
    c.cmd_async("DATA").await;
    let body = "Subject: exact\r\n\r\n..dot line\r\nlast\r\n";
    c.send_async(format!("{body}.\r\n").as_bytes()).await;
    assert!(c.reply_async().await.starts_with("250"));
    let new = dir.path().join("mail/example.test/bob/new");
    let file = std::fs::read_dir(&new)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let stored = std::fs::read_to_string(file).unwrap();
    assert!(stored.starts_with(
        "Received: from client.test ([127.0.0.1])\r\n\tby mx.example.test (Moat) with ESMTP\r\n"
    ));
    assert!(
        stored.ends_with("Subject: exact\r\n\r\n.dot line\r\nlast\r\n"),
        "{stored}"
    );
    // Nothing is left behind in tmp/.
    let tmp = dir.path().join("mail/example.test/bob/tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}

/// Issue: the Maildir backend stored `"bob"@example.test` in a directory called `"bob"` that
/// no IMAP server reads. Every spelling of bob's address lands in bob's one Maildir.
#[tokio::test]
async fn quoted_local_part_lands_in_the_unquoted_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path(), "").await;
    let mut c = ehlo(addr).await;
    c.cmd_async("MAIL FROM:<a@b.test>").await;
    for spelling in [
        "\"bob\"@example.test",
        "\"b\\ob\"@EXAMPLE.test",
        "BOB@example.test",
    ] {
        let r = c.cmd_async(&format!("RCPT TO:<{spelling}>")).await;
        assert!(r.starts_with("250"), "{spelling}: {r}");
    }
    c.cmd_async("DATA").await;
    c.send_async(b"Subject: quoted\r\n\r\nhi\r\n.\r\n").await;
    assert!(c.reply_async().await.starts_with("250"));
    let domain = dir.path().join("mail/example.test");
    let mailboxes: Vec<_> = std::fs::read_dir(&domain)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(mailboxes, ["bob"], "one mailbox for every spelling");
    let copies = std::fs::read_dir(domain.join("bob/new")).unwrap().count();
    assert_eq!(copies, 1, "the same mailbox thrice gets one copy");
}

/// A local part that needs quotes even in canonical form is refused by default (553 5.1.3 /
/// 5.1.7), and accepted as written with `smtp.quoted_local_parts: accept`.
#[tokio::test]
async fn quoted_local_part_that_needs_quotes_refused_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path(), "").await;
    let mut c = ehlo(addr).await;
    let r = c.cmd_async("MAIL FROM:<\"john doe\"@b.test>").await;
    assert!(r.starts_with("553 5.1.7"), "{r}");
    assert!(c.cmd_async("MAIL FROM:<a@b.test>").await.starts_with("250"));
    let r = c.cmd_async("RCPT TO:<\"john doe\"@example.test>").await;
    assert!(r.starts_with("553 5.1.3"), "{r}");
    assert!(
        c.cmd_async("NOOP").await.starts_with("250"),
        "the session goes on"
    );

    let dir = tempfile::tempdir().unwrap();
    let extra = "smtp:\n  quoted_local_parts: accept";
    let addr = serve(dir.path(), extra).await;
    let mut c = ehlo(addr).await;
    assert!(
        c.cmd_async("MAIL FROM:<\"john doe\"@b.test>")
            .await
            .starts_with("250")
    );
    let r = c.cmd_async("RCPT TO:<\"john doe\"@example.test>").await;
    assert!(r.starts_with("250"), "{r}");
}

/// A NUL byte in a message is refused (550 5.6.0) by default: a backend that drops NUL could
/// otherwise read `<CRLF>NUL.<CRLF>` as the end of the message and a smuggled second one.
#[tokio::test]
async fn nul_byte_in_data_refused_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path(), "").await;
    let mut c = ehlo(addr).await;
    c.cmd_async("MAIL FROM:<a@b.test>").await;
    c.cmd_async("RCPT TO:<bob@example.test>").await;
    c.cmd_async("DATA").await;
    c.send_async(b"Subject: nul\r\n\r\nfirst\r\n\0.\r\nMAIL FROM:<evil@x.test>\r\n.\r\n")
        .await;
    let r = c.reply_async().await;
    assert!(r.starts_with("550 5.6.0"), "{r}");
    assert!(
        c.cmd_async("NOOP").await.starts_with("250"),
        "the session goes on"
    );
    assert!(!dir.path().join("mail/example.test/bob/new").exists());
}
