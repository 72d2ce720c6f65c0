//! End to end: an independently signed message through Moat into a real Dovecot (LMTP), read
//! back over IMAP with Moat's Authentication-Results; a tampered one under p=reject never
//! arrives, one under p=quarantine is handled as configured (default: delivered, scored).

use super::env::*;
use crate::common::dovecot::Dovecot;
use crate::common::fault_backend::FaultBackend;

#[test]
fn auth_e2e_dovecot_reads_authentication_results_over_imap() {
    let test = "auth_e2e_dovecot_reads_authentication_results_over_imap";
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let lmtp = format!("  protocol: lmtp\n  address: {}", dovecot.lmtp);
    // The recording backend is not used: Dovecot is the backend here.
    let env = Env::with_backend(&lmtp, "", FaultBackend::normal());
    let helo = "mail.sender.test";
    let to = "alice@example.test";

    let good = signed("a@sender.test", "e2e-pass", "sender.test");
    let reply = env.send(helo, "a@sender.test", to, &good);
    assert!(reply.starts_with("250"), "{reply}");

    let tamper = |mut msg: Vec<u8>| {
        let at = msg.len() - 5;
        msg[at] ^= 0x01;
        msg
    };
    let rejected = tamper(signed("a@sender.test", "e2e-reject", "sender.test"));
    let reply = env.send(helo, "bounce@nopolicy.test", to, &rejected);
    assert!(reply.starts_with("550 5.7.1"), "{reply}");

    let quarantined = tamper(signed(
        "a@quarantine.test",
        "e2e-quarantine",
        "quarantine.test",
    ));
    let reply = env.send(helo, "bounce@nopolicy.test", to, &quarantined);
    assert!(reply.starts_with("250"), "{reply}");

    let mailbox: Vec<String> = dovecot
        .imap_messages(to)
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    assert_eq!(
        mailbox.len(),
        2,
        "pass and quarantine, not reject: {mailbox:#?}"
    );
    assert!(mailbox.iter().all(|m| !m.contains("e2e-reject")));

    let pass = mailbox
        .iter()
        .find(|m| m.contains("Subject: e2e-pass"))
        .unwrap();
    let ar = auth_results(pass);
    assert_eq!(ar.len(), 1, "{pass}");
    let ar = &ar[0];
    assert!(
        ar.starts_with(&format!("Authentication-Results: {HOST}; spf=pass")),
        "{ar}"
    );
    for part in [
        "spf=pass smtp.mailfrom=a@sender.test",
        "dkim=pass header.d=sender.test header.s=s1",
        "dmarc=pass header.from=sender.test",
    ] {
        assert!(ar.contains(part), "missing `{part}`: {ar}");
    }

    let quarantine = mailbox
        .iter()
        .find(|m| m.contains("e2e-quarantine"))
        .unwrap();
    let ar = auth_results(quarantine).join("\n");
    assert!(ar.contains("dkim=fail"), "{ar}");
    assert!(
        ar.contains("dmarc=fail header.from=quarantine.test policy.dmarc=quarantine"),
        "{ar}"
    );
}
