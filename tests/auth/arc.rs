//! ARC and the trusted-sealer rule: a mailing list breaks the author's DKIM signature, seals
//! the message with ARC (dkimpy), and re-sends it from its own address. DMARC fails; only a
//! passing chain sealed by a trusted forwarder excuses that.

use super::env::*;
use super::signer;

/// The list's copy of a p=reject author's signed message: subject tag and footer added
/// (the author's signature breaks), the list's Authentication-Results, then its ARC set.
fn forwarded(subject: &str) -> Vec<u8> {
    let original = signed("a@sender.test", subject, "sender.test");
    let text = String::from_utf8(original).unwrap();
    let mut modified = text.replace(
        &format!("Subject: {subject}"),
        &format!("Subject: [list] {subject}"),
    );
    modified.push_str("-- \r\nlist footer\r\n");
    let with_results = format!(
        "Authentication-Results: lists.forward.test; dkim=pass header.d=sender.test;\r\n\
         \tspf=pass smtp.mailfrom=sender.test; dmarc=pass header.from=sender.test; arc=none\r\n\
         {modified}"
    );
    signer::arc_seal(
        with_results.as_bytes(),
        "arc",
        "forward.test",
        "lists.forward.test",
    )
}

const HELO: &str = "mail.sender.test";
const LIST_BOUNCE: &str = "bounce@forward.test";

#[test]
fn auth_arc_trusted_sealer_excuses_dmarc_failure() {
    let env = Env::start("  trusted_arc_sealers: [forward.test]");
    let reply = env.send(HELO, LIST_BOUNCE, "alice@example.test", &forwarded("arc1"));
    assert!(reply.starts_with("250"), "{reply}");
    let ar = auth_results(&env.delivered().unwrap());
    let ours = ar.iter().find(|h| h.contains(HOST)).unwrap();
    assert!(ours.contains("dkim=fail"), "{ours}");
    assert!(ours.contains("arc=pass (sealed by forward.test)"), "{ours}");
    assert!(
        ours.contains("dmarc=fail (excused: trusted ARC forwarder) header.from=sender.test policy.dmarc=reject"),
        "{ours}"
    );
    let outcome = env.authenticate(
        "  trusted_arc_sealers: [forward.test]",
        HELO,
        LIST_BOUNCE,
        &forwarded("arc2"),
    );
    let ids = ids(&outcome);
    assert!(
        ids.contains(&"ARC_PASS") && ids.contains(&"DMARC_FORWARDED"),
        "{ids:?}"
    );
}

#[test]
fn auth_arc_untrusted_sealer_does_not_excuse_dmarc_reject() {
    let env = Env::start("  trusted_arc_sealers: [other-list.test]");
    let reply = env.send(HELO, LIST_BOUNCE, "alice@example.test", &forwarded("arc3"));
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    assert!(env.backend.messages().is_empty());
    let outcome = env.authenticate("", HELO, LIST_BOUNCE, &forwarded("arc4"));
    let ids = ids(&outcome);
    assert!(
        ids.contains(&"ARC_PASS") && ids.contains(&"DMARC_REJECT"),
        "{ids:?}"
    );
}

#[test]
fn auth_arc_broken_chain_is_not_trusted() {
    let env = Env::start("  trusted_arc_sealers: [forward.test]");
    // Changed after sealing: the ARC-Message-Signature no longer verifies.
    let mut msg = forwarded("arc5");
    let at = msg.len() - 4;
    msg[at] ^= 0x01;
    let reply = env.send(HELO, LIST_BOUNCE, "alice@example.test", &msg);
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    let outcome = env.authenticate(
        "  trusted_arc_sealers: [forward.test]",
        HELO,
        LIST_BOUNCE,
        &msg,
    );
    assert!(ids(&outcome).contains(&"ARC_FAIL"), "{:?}", ids(&outcome));
}
