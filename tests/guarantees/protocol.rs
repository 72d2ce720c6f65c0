//! Protocol basics over the wire, against docs/replies.md.

use super::support::*;
use crate::common::client::TcpClient;
use crate::common::fault_backend::FaultBackend;

#[test]
fn protocol_greeting() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let mut c = TcpClient::connect(moat.addr);
    let g = c.reply();
    assert_eq!(g, "220 mx.example.test ESMTP Moat\r\n", "greeting");
}

#[test]
fn protocol_ehlo_capabilities() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend)
        .limit("max_message_size", "1MiB")
        .start();
    let (mut c, ehlo) = connect_ehlo(&moat);
    let lines: Vec<&str> = ehlo.trim_end().split("\r\n").collect();
    assert!(
        lines[0].starts_with("250-mx.example.test Hello client.test"),
        "EHLO first line: {:?}",
        lines[0]
    );
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { "250 " } else { "250-" };
        assert!(
            l.starts_with(sep),
            "EHLO line {i} {l:?} must start with {sep:?}"
        );
    }
    let kws: Vec<&str> = lines[1..].iter().map(|l| &l[4..]).collect();
    for want in [
        "PIPELINING",
        "SIZE 1048576",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "HELP",
    ] {
        assert!(
            kws.contains(&want),
            "EHLO must advertise {want:?}; got {kws:?}"
        );
    }
    assert!(
        !kws.iter().any(|k| k.starts_with("STARTTLS")),
        "no STARTTLS without tls config: {kws:?}"
    );
    let helo = c.cmd("HELO other.test");
    assert_eq!(helo, "250 mx.example.test Hello other.test\r\n", "HELO");
}

#[test]
fn protocol_out_of_sequence() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "503 5.5.1",
        "RCPT before MAIL",
    );
    expect(&c.cmd("DATA"), "503 5.5.1", "DATA before MAIL");
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("DATA"), "503 5.5.1", "DATA before RCPT");
    expect(
        &c.cmd("MAIL FROM:<b@sender.test>"),
        "503 5.5.1",
        "MAIL twice",
    );
    expect(&c.cmd("RSET"), "250 2.0.0", "RSET");
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "503 5.5.1",
        "RCPT after RSET",
    );
    expect(
        &c.cmd("MAIL FROM:<b@sender.test>"),
        "250",
        "MAIL after RSET",
    );
}

#[test]
fn protocol_simple_commands() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("VRFY alice"), "252 2.5.0", "VRFY");
    expect(&c.cmd("HELP"), "214 2.0.0", "HELP");
    expect(&c.cmd("NOOP"), "250 2.0.0 OK", "NOOP");
    expect(&c.cmd("RSET"), "250 2.0.0 OK", "RSET");
    expect(&c.cmd("XYZZY"), "500 5.5.1", "unknown command");
    expect(&c.cmd("noop"), "250 2.0.0", "lower-case verb");
    expect(&c.cmd("QUIT"), "221 2.0.0 Bye", "QUIT");
    assert!(c.is_closed(), "closed after QUIT");
}

#[test]
fn protocol_syntax_errors() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(
        &c.cmd("MAIL FROM:<a@@sender.test>"),
        "501 5.1.7",
        "bad sender",
    );
    expect(&c.cmd("MAIL"), "501", "MAIL without argument");
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(
        &c.cmd("RCPT TO:<b@@example.test>"),
        "501 5.1.3",
        "bad recipient",
    );
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "250",
        "RCPT after a bad one",
    );
}

#[test]
fn protocol_null_sender_accepted() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    let o = transact(
        &mut c,
        "",
        &["alice@example.test"],
        &message("bounce-marker", 300),
    );
    assert!(
        o.delivered(),
        "a bounce (MAIL FROM:<>) must be accepted: {:?}",
        o.replies
    );
    let m = backend.messages_containing("bounce-marker");
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].mail_from.split_whitespace().next(),
        Some("<>"),
        "null sender relayed as <>"
    );
}

#[test]
fn protocol_pipelined_replies_in_order() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    c.send(
        b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<u@other.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n",
    );
    expect(&c.reply(), "250", "pipelined MAIL");
    expect(&c.reply(), "250", "pipelined RCPT alice");
    expect(&c.reply(), "550 5.7.1", "pipelined RCPT foreign");
    expect(&c.reply(), "250", "pipelined RCPT bob");
    expect(&c.reply(), "354", "pipelined DATA");
    let mut body = message("pipelined-marker", 1000);
    body.extend_from_slice(b"\r\n.\r\nNOOP\r\n");
    c.send(&body);
    expect(&c.reply(), "250", "end of data");
    expect(
        &c.reply(),
        "250 2.0.0",
        "NOOP pipelined after the end of data",
    );
    let m = backend.messages_containing("pipelined-marker");
    assert_eq!(m.len(), 1);
    let r = m[0].rcpts.join(",");
    assert!(
        r.contains("alice@example.test") && r.contains("bob@example.test") && m[0].rcpts.len() == 2,
        "backend recipients: {r}"
    );
}

#[test]
fn protocol_received_header_prepended() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    let body = message("received-marker", 300);
    let o = transact(&mut c, "a@sender.test", &["alice@example.test"], &body);
    assert!(o.delivered(), "{:?}", o.replies);
    let m = &backend.messages_containing("received-marker")[0];
    let hs = headers(&m.data);
    assert!(
        hs.iter().any(|(n, _)| n.eq_ignore_ascii_case("Received")),
        "Moat must add a Received header; headers: {hs:?}"
    );
    let recv = hs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Received"))
        .unwrap();
    assert!(
        recv.1.contains("mx.example.test"),
        "Received header names Moat's host: {:?}",
        recv.1
    );
    assert!(
        crate::common::fault_backend::contains(&m.data, &body),
        "the original message follows the added headers unchanged"
    );
}

/// Runs a session with several kinds of refusal (command stage and end of data) and returns
/// (what, reply, reference) for each, after QUIT.
fn refusal_session(moat: &crate::common::moat::Moat) -> Vec<(&'static str, String, String)> {
    let (mut c, _) = connect_ehlo(moat);
    let mut replies: Vec<(&'static str, String)> = vec![
        ("unknown command", c.cmd("XYZZY")),
        ("out of sequence", c.cmd("RCPT TO:<alice@example.test>")),
        ("bad sender", c.cmd("MAIL FROM:<a@@sender.test>")),
        (
            "SIZE too big",
            c.cmd("MAIL FROM:<a@sender.test> SIZE=99999999"),
        ),
    ];
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    replies.push(("relay denied", c.cmd("RCPT TO:<u@other.test>")));
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(b"Subject: bare\r\n\r\nbare\nlf\r\n.\r\n");
    replies.push(("bare LF in message (end of data)", c.reply()));
    expect(&c.cmd("QUIT"), "221", "QUIT");
    replies
        .into_iter()
        .map(|(what, r)| {
            assert!(
                (400..600).contains(&code(&r)),
                "{what}: expected a refusal, got {r:?}"
            );
            let reference =
                reference(&r).unwrap_or_else(|| panic!("{what}: refusal must carry ref=: {r:?}"));
            (what, r, reference)
        })
        .collect()
}

/// Moat's own refusals carry `ref=<session>-<n>`.
#[test]
fn protocol_refusals_carry_reference() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let refs = refusal_session(&moat);
    // `ref=<session>-<n>`: one session id for the whole session (n numbers the session's
    // transactions, so refusals in one transaction may share a ref).
    let session = refs[0].2.rsplit_once('-').map(|(s, _)| s.to_string());
    for (what, _, r) in &refs {
        let (s, n) = r
            .rsplit_once('-')
            .unwrap_or_else(|| panic!("{what}: ref {r} is not <session>-<n>"));
        assert!(
            n.parse::<u64>().is_ok(),
            "{what}: ref {r} is not <session>-<n>"
        );
        assert_eq!(
            Some(s.to_string()),
            session,
            "{what}: one session id per session: {refs:?}"
        );
    }
}

/// docs/replies.md: the reference "also appears in Moat's log line for that session/message,
/// so an administrator can find the reason".
#[test]
fn protocol_refusal_references_in_log() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let refs = refusal_session(&moat);
    let session = refs[0].2.rsplit_once('-').unwrap().0.to_string();
    // The session's closing line is its last one (written by the task that wrote the
    // others): once it is in, so is every reference.
    assert!(
        moat.wait_log(&format!("session=\"{session}\"")),
        "{}",
        moat.log()
    );
    let log = moat.log();
    let missing: Vec<_> = refs
        .iter()
        .filter(|(_, _, r)| !log.contains(r.as_str()))
        .map(|(what, _, r)| format!("{what}: {r}"))
        .collect();
    assert!(
        missing.is_empty(),
        "every refusal's reference must appear in Moat's log; missing {missing:?}; log:\n{log}"
    );
}
