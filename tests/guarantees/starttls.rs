//! Guarantee 4 (STARTTLS part): commands pipelined before the TLS handshake are discarded
//! (CVE-2011-0411 class), the session starts afresh after STARTTLS, and TLS is recorded.

use super::support::*;
use crate::common::client::Client;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;
use std::sync::Arc;

struct Tls {
    _dir: tempfile::TempDir,
    config: Arc<rustls::ClientConfig>,
    backend: FaultBackend,
    moat: Moat,
}

fn start_tls_moat() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path());
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).tls(&cert, &key).start();
    let config = tls_client_config(&cert);
    Tls {
        _dir: dir,
        config,
        backend,
        moat,
    }
}

fn is_ehlo_reply(reply: &str) -> bool {
    reply.starts_with("250-mx.example.test") || reply.starts_with("250 mx.example.test")
}

fn advertises(ehlo: &str, keyword: &str) -> bool {
    ehlo.lines().any(|l| {
        l.get(4..)
            .map(|k| k.split_whitespace().next() == Some(keyword))
            .unwrap_or(false)
    })
}

/// `EHLO` answered, then `STARTTLS\r\nRSET\r\n` in one write: the RSET must be discarded, so the
/// first reply inside TLS is the EHLO reply, not a stray `250 2.0.0`.
#[test]
fn starttls_pipelined_command_discarded() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    let ehlo = c.cmd("EHLO x");
    assert!(advertises(&ehlo, "STARTTLS"), "EHLO before TLS: {ehlo:?}");
    c.send(b"STARTTLS\r\nRSET\r\n");
    expect(&c.reply(), "220 2.0.0", "STARTTLS");
    let mut s = Client::new(tls_upgrade(c.into_stream(), t.config.clone()));
    let first = s.cmd("EHLO y");
    assert!(
        is_ehlo_reply(&first),
        "first reply inside TLS must be the EHLO reply (the pipelined RSET must be discarded); got {first:?}"
    );
    expect(&s.cmd("NOOP"), "250 2.0.0", "NOOP inside TLS");
}

/// `EHLO x\r\nSTARTTLS\r\nRSET\r\n` all in ONE write.
#[test]
fn starttls_pipelined_with_ehlo_in_one_write() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    c.send(b"EHLO x\r\nSTARTTLS\r\nRSET\r\n");
    let ehlo = c.reply();
    assert!(is_ehlo_reply(&ehlo), "EHLO reply: {ehlo:?}");
    expect(&c.reply(), "220 2.0.0", "STARTTLS");
    let mut s = Client::new(tls_upgrade(c.into_stream(), t.config.clone()));
    let first = s.cmd("EHLO y");
    assert!(
        is_ehlo_reply(&first),
        "first reply inside TLS must be the EHLO reply; got {first:?}"
    );
    expect(&s.cmd("NOOP"), "250 2.0.0", "NOOP inside TLS");
}

/// A MAIL FROM injected after STARTTLS in the same write must not start a transaction.
#[test]
fn starttls_injected_mail_discarded() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    expect(&c.cmd("EHLO x"), "250", "EHLO");
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n");
    expect(&c.reply(), "220 2.0.0", "STARTTLS");
    let mut s = Client::new(tls_upgrade(c.into_stream(), t.config.clone()));
    let first = s.cmd("EHLO y");
    assert!(is_ehlo_reply(&first), "EHLO inside TLS: {first:?}");
    let rcpt = s.cmd("RCPT TO:<alice@example.test>");
    expect(
        &rcpt,
        "503",
        "RCPT after TLS: the injected MAIL must have been discarded",
    );
    assert!(
        !t.backend
            .mail_froms()
            .iter()
            .any(|f| f.contains("evil@x.test")),
        "the injected MAIL reached the backend"
    );
}

/// A normal STARTTLS session: STARTTLS advertised before and not after, the message reaches
/// the backend and Moat's Received header records TLS.
#[test]
fn starttls_session_delivers_and_records_tls() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    let before = c.cmd("EHLO client.test");
    assert!(
        advertises(&before, "STARTTLS"),
        "EHLO before TLS must advertise STARTTLS: {before:?}"
    );
    expect(&c.cmd("STARTTLS"), "220 2.0.0", "STARTTLS");
    let s = tls_upgrade(c.into_stream(), t.config.clone());
    let version = s.conn.protocol_version();
    let mut s = Client::new(s);
    let after = s.cmd("EHLO client.test");
    assert!(is_ehlo_reply(&after), "EHLO after TLS: {after:?}");
    assert!(
        !advertises(&after, "STARTTLS"),
        "EHLO after TLS must not advertise STARTTLS: {after:?}"
    );
    expect(&s.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&s.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&s.cmd("DATA"), "354", "DATA");
    let marker = "tls-delivered-marker";
    let mut body = message(marker, 3000);
    body.extend_from_slice(b"\r\n.\r\n");
    s.send(&body);
    expect(&s.reply(), "250", "end of data");
    expect(&s.cmd("QUIT"), "221", "QUIT");

    let msgs = t.backend.messages_containing(marker);
    assert_eq!(msgs.len(), 1, "exactly one message at the backend");
    let hs = headers(&msgs[0].data);
    let received: Vec<&String> = hs
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Received"))
        .map(|(_, v)| v)
        .collect();
    assert!(
        !received.is_empty(),
        "Moat must prepend a Received header; headers: {hs:?}"
    );
    assert!(
        received[0].to_ascii_lowercase().contains("tls"),
        "Moat's Received header must record TLS (negotiated {version:?}); got {:?}",
        received[0]
    );
}

/// STARTTLS inside TLS is refused (docs/replies.md has no row for it: `502 5.5.1` "not
/// offered" or `503 5.5.1` out of sequence are both accepted).
#[test]
fn starttls_again_inside_tls_refused() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    expect(&c.cmd("EHLO x"), "250", "EHLO");
    expect(&c.cmd("STARTTLS"), "220 2.0.0", "STARTTLS");
    let mut s = Client::new(tls_upgrade(c.into_stream(), t.config.clone()));
    expect(&s.cmd("EHLO y"), "250", "EHLO in TLS");
    let again = s.cmd("STARTTLS");
    assert!(
        again.starts_with("502 5.5.1") || again.starts_with("503 5.5.1"),
        "STARTTLS inside TLS: expected 502/503 5.5.1, got {again:?}"
    );
    expect(&s.cmd("NOOP"), "250", "NOOP after refused STARTTLS");
}

/// MAIL before STARTTLS, then STARTTLS: the transaction is gone afterwards.
#[test]
fn starttls_resets_transaction() {
    let t = start_tls_moat();
    let mut c = Client::new(tcp(t.moat.addr));
    expect(&c.reply(), "220 ", "greeting");
    expect(&c.cmd("EHLO x"), "250", "EHLO");
    expect(
        &c.cmd("MAIL FROM:<a@sender.test>"),
        "250",
        "MAIL before TLS",
    );
    expect(&c.cmd("STARTTLS"), "220 2.0.0", "STARTTLS");
    let mut s = Client::new(tls_upgrade(c.into_stream(), t.config.clone()));
    expect(&s.cmd("EHLO y"), "250", "EHLO in TLS");
    expect(
        &s.cmd("RCPT TO:<alice@example.test>"),
        "503",
        "RCPT after STARTTLS: the MAIL from before TLS must be forgotten",
    );
}

/// Without a `tls` section STARTTLS is neither advertised nor accepted.
#[test]
fn starttls_not_configured() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, ehlo) = connect_ehlo(&moat);
    assert!(
        !advertises(&ehlo, "STARTTLS"),
        "STARTTLS advertised without tls config: {ehlo:?}"
    );
    expect(&c.cmd("STARTTLS"), "502 5.5.1", "STARTTLS not offered");
    expect(&c.cmd("NOOP"), "250", "NOOP");
}
