//! The round-trip savers with the backend keep every guarantee: MAIL held back and pipelined
//! with the first RCPT never accepts a recipient of a refused transaction and never loses or
//! doubles a message on a stale pooled connection; BDAT never turns a dead backend into a 250.

use crate::common::fault_backend::{Fault, FaultBackend};
use crate::support::*;
use std::time::Duration;

fn assert_once(backend: &FaultBackend, marker: &str) {
    let n = backend.wait_messages_containing(marker, 1, Duration::from_secs(2));
    assert_eq!(n, 1, "{marker} must be held exactly once");
}

#[test]
fn backend_refusing_mail_refuses_the_rcpt_and_nothing_is_delivered() {
    let backend = FaultBackend::start(Fault::Mail("553 5.1.8 backend-mail-no".into()));
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(
        &c.cmd("MAIL FROM:<a@sender.test>"),
        "250",
        "MAIL (answered by Moat)",
    );
    let rcpt = c.cmd("RCPT TO:<alice@example.test>");
    expect(
        &rcpt,
        "553 5.1.8 backend-mail-no",
        "RCPT gets the backend's MAIL reply",
    );
    expect(&c.cmd("DATA"), "503", "DATA without an accepted recipient");
    assert_eq!(backend.mail_froms().len(), 1, "{:?}", backend.commands());
    // The next RCPT sends MAIL again; now the backend takes it.
    backend.set_fault(Fault::None);
    expect(
        &c.cmd("RCPT TO:<alice@example.test>"),
        "250",
        "RCPT after a refused MAIL",
    );
    let o = transact_data(&mut c, &message("pipe-after-refusal", 300));
    expect(&o, "250", "end of data");
    assert_once(&backend, "pipe-after-refusal");
    assert_eq!(backend.messages().len(), 1);
    assert_eq!(backend.mail_froms().len(), 2);
}

#[test]
fn stale_pooled_connection_at_the_deferred_mail_is_retried_and_delivered_once() {
    // Like Postfix's smtpd_timeout: 421 and close after 300 ms without a command. The client
    // pauses between MAIL and RCPT, so the pooled connection dies after it was taken from the
    // pool and before MAIL (held back) reaches it.
    let backend = FaultBackend::start(Fault::IdleTimeout(Duration::from_millis(300)));
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    let first = transact(
        &mut c,
        "a@sender.test",
        &["alice@example.test"],
        &message("pipe-stale-0", 300),
    );
    assert!(first.delivered(), "{:?}", first.replies);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    // Until the backend has timed the pooled connection out and closed it.
    assert!(backend.wait_closed(Duration::from_secs(5)), "idle timeout");
    let rcpt = c.cmd("RCPT TO:<alice@example.test>");
    expect(
        &rcpt,
        "250",
        "RCPT on a replaced connection, not the backend's idle 421",
    );
    let end = transact_data(&mut c, &message("pipe-stale-1", 300));
    expect(&end, "250", "end of data");
    expect(&c.cmd("QUIT"), "221", "QUIT");
    assert_once(&backend, "pipe-stale-0");
    assert_once(&backend, "pipe-stale-1");
    assert_eq!(backend.connections(), 2, "{:?}", backend.commands());
}

#[test]
fn bdat_to_a_chunking_backend_delivers_the_message_unstuffed() {
    let backend = FaultBackend::normal().with_chunking();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    let mut body = message("pipe-bdat", 300);
    body.extend_from_slice(b"..leading dot, stuffed by the client\r\n");
    let o = transact(&mut c, "a@sender.test", &["alice@example.test"], &body);
    assert!(o.delivered(), "{:?}", o.replies);
    assert_once(&backend, "pipe-bdat");
    let commands = backend.commands();
    assert!(
        commands.iter().any(|c| c.starts_with("BDAT ")),
        "{commands:?}"
    );
    assert!(!commands.iter().any(|c| c == "DATA"), "{commands:?}");
    let text = backend.messages()[0].text();
    assert!(text.contains("\r\n.leading dot"), "{text}");
    assert!(!text.contains("..leading"), "{text}");
}

#[test]
fn backend_dying_after_bdat_gets_451_never_250() {
    for protocol in ["smtp", "lmtp"] {
        let backend = if protocol == "smtp" {
            FaultBackend::start(Fault::CloseAtEndOfData)
        } else {
            FaultBackend::start_lmtp(Fault::CloseAtEndOfData)
        }
        .with_chunking();
        let moat = Conf::for_backend(&backend).protocol(protocol).start();
        let (mut c, _) = connect_ehlo(&moat);
        let marker = format!("pipe-bdat-dies-{protocol}");
        let o = transact(
            &mut c,
            "a@sender.test",
            &["alice@example.test"],
            &message(&marker, 300),
        );
        expect(
            &o.reply,
            "451 4.4.1",
            "end of data after the backend closed",
        );
        assert!(backend.commands().iter().any(|c| c.starts_with("BDAT ")));
        assert!(backend.messages().is_empty());
    }
}

/// DATA, the message and the end of data in an open transaction; the end-of-data reply.
fn transact_data(c: &mut crate::common::client::TcpClient, body: &[u8]) -> String {
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(body);
    c.send(b"\r\n.\r\n");
    c.reply()
}
