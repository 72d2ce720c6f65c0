//! The round-trip savers against a real backend: Dovecot's LMTP advertises PIPELINING and
//! CHUNKING, so Moat sends MAIL with the first RCPT and the message with one `BDAT <n> LAST`.

use super::*;
use crate::common::client::TcpClient;
use crate::common::http::metric;

/// Dovecot's answer to LHLO, read over a connection of our own.
fn lhlo(dovecot: &Dovecot) -> String {
    let mut c = TcpClient::connect(dovecot.lmtp);
    assert!(c.reply().starts_with("220"), "Dovecot's LMTP greeting");
    let reply = c.cmd("LHLO probe.test");
    c.send(b"QUIT\r\n");
    reply
}

#[test]
fn e2e_lmtp_message_relayed_with_bdat_readable_over_imap() {
    let test = "e2e_lmtp_message_relayed_with_bdat_readable_over_imap";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let caps = lhlo(&dovecot);
    assert!(caps.contains("CHUNKING"), "Dovecot's LHLO: {caps}");
    assert!(caps.contains("PIPELINING"), "Dovecot's LHLO: {caps}");
    let extra = "admin:\n  listen: \"{ADMIN}\"\n";
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), extra));
    let admin: SocketAddr = moat.admin.unwrap();
    let message = test_message("e2e-lmtp-bdat");
    let data = message_file(moat.dir(), &message);
    swaks(moat.addr, "alice@example.test", &data, &[]);

    let imap = dovecot.imap_messages("alice@example.test");
    assert_eq!(imap.len(), 1, "IMAP: exactly one message");
    assert_relayed_by_moat(&imap[0], &message, "IMAP");
    assert!(
        moat.wait_log("backend message sent with BDAT"),
        "{}",
        moat.log()
    );
    let step = |s: &str| {
        metric(
            admin,
            &format!("moat_relay_duration_seconds_count{{step=\"{s}\"}}"),
        )
    };
    assert_eq!(step("bdat"), 1.0, "the message went with BDAT");
    assert_eq!(step("data"), 0.0, "no DATA");
    assert_eq!(step("mail_rcpt"), 1.0, "MAIL went with the first RCPT");
    assert_eq!(step("mail"), 0.0, "no MAIL round trip of its own");
}
