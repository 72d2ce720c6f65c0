//! One canonical address against real Dovecot: no spelling of a denied user's address gets
//! mail into that user's mailbox, and a quoted spelling of an allowed one reaches the right
//! mailbox.

use super::*;
use common::client::TcpClient;

/// Issue: `RCPT TO:<"blocked"@example.test>` passed `lists.deny.recipients` and Dovecot
/// delivered it into `blocked`'s mailbox.
#[test]
fn e2e_denied_user_gets_no_mail_by_any_spelling() {
    let test = "e2e_denied_user_gets_no_mail_by_any_spelling";
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let extra = "lists:\n  deny:\n    recipients: [bob@example.test]\n";
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), extra));
    let mut c = TcpClient::connect(moat.addr);
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO client.origin.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<sender@origin.test>").starts_with("250"));
    for spelling in [
        "bob@example.test",
        "\"bob\"@example.test",
        "\"b\\ob\"@EXAMPLE.TEST",
        "BOB@Example.Test",
        "\"\\B\\O\\B\"@example.test",
    ] {
        let r = c.cmd(&format!("RCPT TO:<{spelling}>"));
        assert!(r.starts_with("550 5.7.1"), "{spelling}: {r}");
    }
    let r = c.cmd("RCPT TO:<\"alice\"@EXAMPLE.test>");
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(b"From: sender@origin.test\r\nSubject: canonical\r\n\r\nhello\r\n.\r\n");
    let r = c.reply();
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("QUIT").starts_with("221"));

    assert!(
        dovecot.imap_messages("bob@example.test").is_empty(),
        "Dovecot stored mail for the denied user"
    );
    let alice = dovecot.imap_messages("alice@example.test");
    assert_eq!(
        alice.len(),
        1,
        "the quoted spelling reached alice's mailbox"
    );
    assert!(String::from_utf8_lossy(&alice[0]).contains("Subject: canonical"));
}
