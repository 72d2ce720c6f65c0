//! Guarantee 2: no open relay. Routing tricks and foreign domains are refused with
//! `550 5.7.1` and never reach the backend; a valid recipient still works in the same session.

use super::support::*;
use crate::common::fault_backend::FaultBackend;

fn denied(addr: &str) {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    let r = c.cmd(&format!("RCPT TO:<{addr}>"));
    assert!(
        r.starts_with("550 5.7.1") || r.starts_with("554 5.7.1"),
        "RCPT TO:<{addr}> must be refused with 550 5.7.1 (relaying denied); got {r:?}"
    );
    // The same session goes on and a local recipient works.
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "250",
        "valid recipient after a denied one",
    );
    expect(&c.cmd("DATA"), "354", "DATA");
    let marker = "relay-denied-marker";
    let mut body = message(marker, 500);
    body.extend_from_slice(b"\r\n.\r\n");
    c.send(&body);
    expect(&c.reply(), "250", "end of data");
    let rcpts = backend.rcpts();
    assert!(
        rcpts.iter().all(|r| r.contains("alice@example.test")),
        "only alice may reach the backend; backend got RCPTs {rcpts:?}"
    );
    let msgs = backend.messages_containing(marker);
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0].rcpts.len(),
        1,
        "backend transaction recipients: {:?}",
        msgs[0].rcpts
    );
}

#[test]
fn relay_denied_percent_hack() {
    denied("user%other.test@example.test");
}

#[test]
fn relay_denied_source_route() {
    denied("@a.test:u@example.test");
}

#[test]
fn relay_denied_quoted_local_part_with_at() {
    denied("\"u@other.test\"@example.test");
}

#[test]
fn relay_denied_foreign_domain() {
    denied("u@other.test");
}

#[test]
fn relay_denied_bang_path() {
    denied("other.test!u@example.test");
}

#[test]
fn relay_denied_subdomain_not_listed() {
    denied("u@sub.example.test");
}

#[test]
fn relay_denied_domain_suffix_trick() {
    denied("u@example.test.other.test");
}

#[test]
fn relay_denied_lookalike_domain() {
    denied("u@notexample.test");
}

#[test]
fn relay_denied_address_literal() {
    denied("u@[127.0.0.1]");
}

/// Only refused recipients: DATA gets `503 5.5.1`, nothing reaches the backend.
#[test]
fn relay_denied_only_recipient_then_data() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(
        &c.cmd("RCPT TO:<u@other.test>"),
        "550 5.7.1",
        "foreign RCPT",
    );
    expect(
        &c.cmd("DATA"),
        "503 5.5.1",
        "DATA without a valid recipient",
    );
    assert!(
        backend.rcpts().is_empty(),
        "RCPTs at backend: {:?}",
        backend.rcpts()
    );
    assert!(backend.messages().is_empty());
}

/// Domain names are case-insensitive: `alice@EXAMPLE.TEST` is local (not in the contract
/// table, but refusing it would bounce legitimate mail).
#[test]
fn relay_accepts_domain_case_insensitively() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(
        &c.cmd("RCPT TO:<alice@EXAMPLE.TEST>"),
        "250",
        "RCPT to a configured domain in upper case",
    );
}
