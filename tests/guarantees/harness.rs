//! Self-tests of the fault backend (no Moat involved), so that a failing guarantee test
//! points at Moat and not at the harness.

use super::support::*;
use crate::common::client::TcpClient;
use crate::common::fault_backend::{Fault, FaultBackend};
use std::time::{Duration, Instant};

fn session(b: &FaultBackend) -> TcpClient {
    let mut c = TcpClient::connect(b.addr);
    expect(&c.reply(), "220", "backend greeting");
    expect(&c.cmd("EHLO t"), "250", "backend EHLO");
    c
}

#[test]
fn harness_backend_commits_and_unstuffs() {
    let b = FaultBackend::normal();
    let mut c = session(&b);
    expect(&c.cmd("MAIL FROM:<a@x.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<r@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(b"Subject: s\r\n\r\n..dot\r\nline\r\n.\r\n");
    expect(&c.reply(), "250", "end of data");
    let m = b.messages();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].data, b"Subject: s\r\n\r\n.dot\r\nline\r\n");
    assert_eq!(m[0].mail_from, "<a@x.test>");
    assert_eq!(m[0].rcpts, vec!["<r@example.test>".to_string()]);
    assert_eq!(b.bare_newlines_seen(), 0);
}

#[test]
fn harness_backend_is_vulnerable_to_lf_dot_lf() {
    // Proves the smuggling tests would catch a Moat that passed `\n.\n` through.
    let b = FaultBackend::normal();
    let mut c = session(&b);
    c.send(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n");
    expect(&c.reply(), "250", "MAIL");
    expect(&c.reply(), "250", "RCPT");
    expect(&c.reply(), "354", "DATA");
    c.send(b"x\n.\nMAIL FROM:<evil@x.test>\r\n");
    expect(&c.reply(), "250", "end of data at bare LF");
    expect(&c.reply(), "250", "smuggled MAIL");
    assert!(b.mail_froms().iter().any(|f| f.contains("evil")));
    assert!(b.bare_newlines_seen() > 0);
}

#[test]
fn harness_backend_faults() {
    let b = FaultBackend::start(Fault::Greeting("421 4.3.2 busy".into()));
    let mut c = TcpClient::connect(b.addr);
    expect(&c.reply(), "421 4.3.2 busy", "greeting fault");
    assert!(c.is_closed());

    for (fault, at) in [
        (Fault::Mail("451 4.3.0 m".into()), "MAIL"),
        (Fault::Rcpt("550 5.1.1 r".into()), "RCPT"),
        (Fault::Data("554 5.5.1 d".into()), "DATA"),
    ] {
        let b = FaultBackend::start(fault.clone());
        let mut c = session(&b);
        let m = c.cmd("MAIL FROM:<a@x.test>");
        let r = c.cmd("RCPT TO:<r@example.test>");
        let d = c.cmd("DATA");
        let got = match at {
            "MAIL" => m,
            "RCPT" => r,
            _ => d,
        };
        assert!(code(&got) >= 400, "{fault:?}: {got:?}");
    }

    let b = FaultBackend::start(Fault::EndOfData("554 5.7.1 no".into()));
    let mut c = session(&b);
    let o = transact(&mut c, "a@x.test", &["r@example.test"], &message("m", 100));
    expect(&o.reply, "554 5.7.1 no", "end-of-data fault");
    assert!(b.messages().is_empty());

    let b = FaultBackend::start(Fault::CloseMidData(10));
    let mut c = session(&b);
    let o = transact(
        &mut c,
        "a@x.test",
        &["r@example.test"],
        &message("m", 100_000),
    );
    assert_eq!(o.reply, "", "closed mid data");
    assert!(b.messages().is_empty());

    let b = FaultBackend::start(Fault::StallAtEndOfData(Duration::from_secs(30)));
    let mut c = session(&b);
    c.stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let t = Instant::now();
    let o = transact(&mut c, "a@x.test", &["r@example.test"], &message("m", 100));
    assert_eq!(o.reply, "", "stall: no reply");
    assert!(t.elapsed() >= Duration::from_millis(400));
    drop(c);
    // The stalled connection notices the close and ends without committing.
    assert!(b.wait_closed(Duration::from_secs(5)));
    assert!(b.messages().is_empty());
}

/// The TLS client plumbing (pinned self-signed certificate) works against `openssl s_server`.
#[test]
fn harness_tls_client_pins_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path());
    let port = crate::common::moat::free_port();
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-naccept", "1", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut stream = None;
    crate::common::poll::poll_until(Duration::from_secs(5), || {
        stream = std::net::TcpStream::connect(addr).ok();
        stream.is_some()
    });
    let stream = stream.expect("openssl s_server listening within 5 s");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let s = tls_upgrade(stream, tls_client_config(&cert));
    assert!(s.conn.protocol_version().is_some());
    drop(s);
    let _ = server.kill();
    let _ = server.wait();
}
