//! Guarantee 3: every input is bounded; oversized input is discarded, not buffered.

use super::support::*;
use crate::common::client::TcpClient;
use crate::common::fault_backend::FaultBackend;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Writes, ignoring errors (the server may legitimately have closed the connection).
fn try_send(c: &mut TcpClient, bytes: &[u8]) -> bool {
    c.stream.write_all(bytes).is_ok()
}

#[test]
fn limits_message_too_big_discarded_not_buffered() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_message_size", "1MiB")
        .start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    let base = rss_kib(moat.pid());
    assert!(base > 0, "cannot read VmRSS of moat");

    // 1 MiB of 1024-byte lines per write, 50 MiB in all.
    let mut chunk = Vec::with_capacity(1 << 20);
    chunk.extend_from_slice(b"Subject: big\r\n\r\n");
    while chunk.len() + 1024 <= 1 << 20 {
        chunk.extend_from_slice(&[b'x'; 1022]);
        chunk.extend_from_slice(b"\r\n");
    }
    let mut peak = base;
    let started = Instant::now();
    for i in 0..50 {
        assert!(
            try_send(&mut c, &chunk),
            "Moat closed the connection after {i} MiB instead of discarding the excess"
        );
        peak = peak.max(rss_kib(moat.pid()));
    }
    assert!(try_send(&mut c, b"\r\n.\r\n"));
    let end = c.reply();
    peak = peak.max(rss_kib(moat.pid()));
    eprintln!(
        "50 MiB sent in {:?}; VmRSS {base} KiB -> peak {peak} KiB",
        started.elapsed()
    );
    expect(&end, "552 5.3.4", "end of an oversized message");
    let growth_mib = (peak - base) as f64 / 1024.0;
    assert!(
        growth_mib < 40.0,
        "Moat's RSS grew by {growth_mib:.1} MiB while a 50 MiB message over a 1 MiB limit came in"
    );
    expect(
        &c.cmd("NOOP"),
        "250",
        "NOOP after 552 (the session goes on)",
    );
    assert!(backend.messages().is_empty(), "oversized message relayed");
}

#[test]
fn limits_mail_size_parameter_too_big() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_message_size", "1MiB")
        .start();
    let (mut c, ehlo) = connect_ehlo(&moat);
    assert!(ehlo.contains("SIZE 1048576"), "EHLO SIZE: {ehlo:?}");
    expect(
        &c.cmd("MAIL FROM:<a@sender.test> SIZE=1048577"),
        "552 5.3.4",
        "MAIL with SIZE over the limit",
    );
    expect(
        &c.cmd("MAIL FROM:<a@sender.test> SIZE=1000"),
        "250",
        "MAIL with SIZE under the limit",
    );
}

#[test]
fn limits_max_recipients() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_recipients", "3")
        .start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    for n in 1..=3 {
        expect(
            &c.cmd(&format!("RCPT TO:<user{n}@example.test>")),
            "250",
            "RCPT within the limit",
        );
    }
    expect(
        &c.cmd("RCPT TO:<user4@example.test>"),
        "452 4.5.3",
        "RCPT over max_recipients",
    );
    expect(
        &c.cmd("RCPT TO:<user5@example.test>"),
        "452 4.5.3",
        "RCPT over max_recipients (again)",
    );
    expect(&c.cmd("DATA"), "354", "DATA with three recipients");
    let mut body = message("max-rcpt-marker", 500);
    body.extend_from_slice(b"\r\n.\r\n");
    c.send(&body);
    expect(&c.reply(), "250", "end of data");
    let m = backend.messages_containing("max-rcpt-marker");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].rcpts.len(), 3, "backend recipients: {:?}", m[0].rcpts);
}

#[test]
fn limits_command_line_too_long() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_command_line", "512")
        .start();
    let (mut c, _) = connect_ehlo(&moat);
    let mut long = b"NOOP ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 5000));
    long.extend_from_slice(b"\r\n");
    c.send(&long);
    expect(&c.reply(), "500 5.5.2", "over-long command line");
    expect(
        &c.cmd("VRFY probe"),
        "252",
        "one reply only for the long line",
    );
    expect(&c.cmd("NOOP"), "250", "NOOP after a long line");

    // A long MAIL line is discarded as a whole: it must not start a transaction, and its
    // tail must not be read as a command.
    let mut mail = b"MAIL FROM:<".to_vec();
    mail.extend(std::iter::repeat_n(b'a', 600));
    mail.extend_from_slice(b"@sender.test>\r\n");
    c.send(&mail);
    expect(&c.reply(), "500 5.5.2", "over-long MAIL line");
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "503",
        "no transaction after a discarded MAIL line",
    );
    // Tail containing a command after the limit, in one write.
    let mut trick = b"NOOP ".to_vec();
    trick.extend(std::iter::repeat_n(b'y', 600));
    trick.extend_from_slice(b"RSET\r\nVRFY probe\r\n");
    c.send(&trick);
    expect(
        &c.reply(),
        "500 5.5.2",
        "long line with a command in its tail",
    );
    expect(&c.reply(), "252", "next line is the VRFY");
}

/// A limit of `n` allows `n` commands (of the kind counted): sends `n` of them one by one and
/// expects each answered with `ok_prefix`; then one more, answered by `last_prefix` (its own
/// reply, or the 421 itself when `last_prefix` is "421"), and 421 with the close.
fn exactly_n_allowed(
    c: &mut TcpClient,
    line: &[u8],
    n: usize,
    ok_prefix: &str,
    last_prefix: &str,
) -> String {
    for i in 1..=n {
        assert!(try_send(c, line), "command #{i} could not be sent");
        let r = c.reply();
        assert!(
            r.starts_with(ok_prefix),
            "command #{i} of {n} allowed: got {r:?}"
        );
    }
    assert!(try_send(c, line), "command #{} could not be sent", n + 1);
    let r = c.reply();
    assert!(r.starts_with(last_prefix), "command #{}: got {r:?}", n + 1);
    if last_prefix == "421" {
        return r;
    }
    c.reply()
}

#[test]
fn limits_too_many_bad_commands() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_bad_commands", "3")
        .start();
    let (mut c, _) = connect_ehlo(&moat);
    // Three bad commands are allowed; the fourth gets its 500, then 421.
    let r = exactly_n_allowed(&mut c, b"XYZZY\r\n", 3, "500 5.5.1", "500 5.5.1");
    expect(&r, "421 4.7.0", "too many bad commands");
    assert!(c.is_closed(), "connection must be closed after 421");
}

#[test]
fn limits_too_many_commands() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_commands", "5")
        .start();
    let mut c = TcpClient::connect(moat.addr);
    expect(&c.reply(), "220", "greeting");
    // Five commands are allowed; the sixth is answered 421 instead.
    let r = exactly_n_allowed(&mut c, b"NOOP\r\n", 5, "250", "421");
    expect(&r, "421 4.7.0", "too many commands");
    assert!(c.is_closed(), "connection must be closed after 421");
}

fn wait_timeout_reply(c: &mut TcpClient, within: Duration) -> (String, Duration) {
    c.stream.set_read_timeout(Some(within)).unwrap();
    let t = Instant::now();
    let r = c.reply();
    (r, t.elapsed())
}

// The session timeouts (greeting, command, command line, DATA, session) are in
// tests/timeouts.rs: in-process, under tokio's paused clock.

/// A client from a chosen loopback source address.
fn connect_from(src: &str, to: SocketAddr) -> TcpClient {
    line_client(TcpClient::connect_from(src.parse().unwrap(), to))
}

/// A client that gives up on a reply after 5 s.
fn line_client(c: TcpClient) -> TcpClient {
    c.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    c
}

fn tcp_client(to: SocketAddr) -> TcpClient {
    line_client(TcpClient::connect(to))
}

fn over_limit(c: &mut TcpClient, what: &str) {
    let r = c.reply();
    expect(&r, "421 4.7.0", what);
    assert!(c.is_closed(), "{what}: connection must be closed");
}

#[test]
fn limits_connections_per_ip() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_connections_per_ip", "2")
        .start();
    // No probe connection to wait for: Moat reported its address once it was bound.
    let mut c1 = tcp_client(moat.addr);
    expect(&c1.reply(), "220", "1st connection");
    let mut c2 = tcp_client(moat.addr);
    expect(&c2.reply(), "220", "2nd connection");
    let mut c3 = tcp_client(moat.addr);
    over_limit(&mut c3, "3rd connection from the same IP");
    // Another source IP is not limited by 127.0.0.1's count.
    let mut other = connect_from("127.0.0.2", moat.addr);
    expect(
        &other.reply(),
        "220",
        "connection from 127.0.0.2 while 127.0.0.1 is at its limit",
    );
    // Closing one frees a slot.
    expect(&c1.cmd("QUIT"), "221", "QUIT");
    drop(c1);
    assert!(moat.wait_sessions_ended(1), "{}", moat.log());
    let mut c4 = tcp_client(moat.addr);
    expect(&c4.reply(), "220", "connection after another one closed");
    expect(&c2.cmd("NOOP"), "250", "existing session unaffected");
}

#[test]
fn limits_max_connections_total() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_connections", "3")
        .limit("max_connections_per_ip", "50")
        // Shedding off: the hard limit alone (shedding is tested below).
        .limit("shed_at_percent", "0")
        .start();
    // No probe connection to wait for: Moat reported its address once it was bound.
    let mut held = Vec::new();
    for n in 0..3 {
        let src = format!("127.0.0.{}", n + 2);
        let mut c = connect_from(&src, moat.addr);
        expect(&c.reply(), "220", "connection within max_connections");
        held.push(c);
    }
    let mut c = tcp_client(moat.addr);
    over_limit(&mut c, "4th connection over max_connections 3");
    drop(held.pop());
    assert!(moat.wait_sessions_ended(1), "{}", moat.log());
    let mut c = tcp_client(moat.addr);
    expect(&c.reply(), "220", "connection after one closed");
}

/// A full table (shedding from 100 %): a new client sheds the session idle longest, which
/// gets `421 4.7.0` and is closed; a session receiving message data is never shed and its
/// message is accepted.
#[test]
fn limits_full_table_sheds_idle_session_longest_never_data() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_connections", "3")
        .limit("shed_at_percent", "100")
        .start();
    let open = |src: &str| {
        let mut c = connect_from(src, moat.addr);
        expect(&c.reply(), "220", src);
        c
    };
    // The oldest of all is in DATA; then two idle ones. The session idle longest is opened
    // before the DATA session's transaction, so that its task has long parked in its read
    // (a client cannot see that) when the table fills: a session still working on its
    // greeting is not a candidate, and the younger idle one would be shed instead.
    let mut data = open("127.0.0.2");
    let mut oldest_idle = open("127.0.0.3");
    expect(&data.cmd("EHLO data.test"), "250", "EHLO");
    expect(&data.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&data.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&data.cmd("DATA"), "354", "DATA");
    data.send(b"Subject: shed-never-data\r\n\r\nfirst line\r\n");
    let mut newer_idle = open("127.0.0.4");
    expect(&newer_idle.cmd("EHLO idle.test"), "250", "EHLO");
    // The table is full: a new client gets a seat, the idle session longest is shed.
    let mut newcomer = connect_from("127.0.0.5", moat.addr);
    expect(&newcomer.reply(), "220", "new client on a full table");
    over_limit(&mut oldest_idle, "the idle session longest, shed");
    expect(
        &newer_idle.cmd("NOOP"),
        "250",
        "a younger idle session stays",
    );
    data.send(b"last line\r\n");
    expect(&data.cmd("."), "250", "the message in DATA all along");
    assert_eq!(backend.messages_containing("shed-never-data").len(), 1);
}

#[test]
fn limits_bare_newline_in_command() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    c.send(b"NOOP\n");
    let (r, _) = wait_timeout_reply(&mut c, Duration::from_secs(3));
    expect(&r, "500 5.5.2", "command ending in a bare LF");
    c.stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    expect(&c.cmd("NOOP"), "250", "NOOP after a bare-LF command");
    expect(
        &c.cmd("NO\rOP"),
        "500 5.5.2",
        "command containing a bare CR",
    );
    expect(&c.cmd("NOOP"), "250", "NOOP after a bare-CR command");

    // A MAIL line ended by a bare LF and followed by a RCPT: no transaction may result.
    c.send(b"MAIL FROM:<a@sender.test>\nRCPT TO:<alice@example.test>\r\nVRFY probe\r\n");
    let first = c.reply();
    expect(&first, "500 5.5.2", "MAIL line with a bare LF");
    loop {
        let r = c.reply();
        if r.starts_with("252") {
            break;
        }
        assert!(
            !r.starts_with("250") && !r.is_empty(),
            "nothing after a bare-LF MAIL line may be accepted; got {r:?}"
        );
    }
    expect(&c.cmd("DATA"), "503", "DATA: no transaction exists");
    assert!(
        backend.mail_froms().is_empty(),
        "a MAIL with a bare LF reached the backend: {:?}",
        backend.mail_froms()
    );
}

#[test]
fn limits_data_line_too_long() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_data_line", "1KiB")
        .start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    let mut body = b"Subject: long line\r\n\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'z', 5000));
    body.extend_from_slice(b"\r\nshort\r\n.\r\n");
    c.send(&body);
    expect(&c.reply(), "550 5.6.0", "message line over max_data_line");
    expect(&c.cmd("NOOP"), "250", "session goes on");
    assert!(backend.messages().is_empty());
}
