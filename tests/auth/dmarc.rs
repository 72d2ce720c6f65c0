//! DMARC: alignment (relaxed / strict, SPF / DKIM), subdomain policy `sp`, `np` for
//! non-existent subdomains, `pct`, and From headers DMARC cannot evaluate.

use super::env::*;
use super::signer;

const HELO: &str = "mail.sender.test";

fn dmarc_zone(env: &Env) {
    let dns = &env.dns;
    let key = signer::key_record();
    for (domain, record) in [
        ("relaxed.test", "v=DMARC1; p=reject"),
        ("strict.test", "v=DMARC1; p=reject; aspf=s; adkim=s"),
        ("parent.test", "v=DMARC1; p=none; sp=reject"),
        ("np.test", "v=DMARC1; p=none; sp=none; np=reject"),
        ("pct0.test", "v=DMARC1; p=reject; pct=0"),
        ("pct100.test", "v=DMARC1; p=reject; pct=100"),
    ] {
        dns.a(domain, CLIENT);
        dns.txt(domain, "v=spf1 ip4:127.0.0.1 -all");
        dns.txt(&format!("_dmarc.{domain}"), record);
        // A subdomain that sends: SPF for the bounce address, a DKIM key for d=mail.<domain>.
        let mail = format!("mail.{domain}");
        dns.txt(&mail, "v=spf1 ip4:127.0.0.1 -all");
        dns.txt(&format!("s1._domainkey.{mail}"), &key);
    }
    dns.a("sub.parent.test", CLIENT);
    dns.a("real.np.test", CLIENT);
}

/// The DMARC finding of a message from `author`, sent with MAIL FROM `mail_from`, signed by
/// `dkim_domain` when given.
fn dmarc(env: &Env, author: &str, mail_from: &str, dkim_domain: Option<&str>) -> (String, String) {
    dmarc_with(env, "", "dmarc", author, mail_from, dkim_domain)
}

/// As `dmarc`, with `auth` lines added to the `auth` section and `tag` naming the message;
/// (finding id, Authentication-Results on one line).
pub fn dmarc_with(
    env: &Env,
    auth: &str,
    tag: &str,
    author: &str,
    mail_from: &str,
    dkim_domain: Option<&str>,
) -> (String, String) {
    let msg = match dkim_domain {
        Some(d) => signed(author, tag, d),
        None => message(author, tag),
    };
    let outcome = env.authenticate(auth, HELO, mail_from, &msg);
    let id = ids(&outcome)
        .into_iter()
        .find(|id| id.starts_with("DMARC_"))
        .unwrap()
        .to_string();
    (id, outcome.header.replace("\r\n\t", " "))
}

#[test]
fn auth_dmarc_spf_alignment_relaxed_and_strict() {
    let env = Env::start("");
    dmarc_zone(&env);
    let (id, h) = dmarc(&env, "a@relaxed.test", "bounce@mail.relaxed.test", None);
    assert_eq!(id, "DMARC_PASS", "{h}");
    let (id, h) = dmarc(&env, "a@strict.test", "bounce@mail.strict.test", None);
    assert_eq!(id, "DMARC_REJECT", "{h}");
    let (id, h) = dmarc(&env, "a@strict.test", "bounce@strict.test", None);
    assert_eq!(id, "DMARC_PASS", "exact match passes: {h}");
}

#[test]
fn auth_dmarc_dkim_alignment_relaxed_and_strict() {
    let env = Env::start("");
    dmarc_zone(&env);
    // The envelope is unaligned: only the signature can make DMARC pass.
    let (id, h) = dmarc(
        &env,
        "a@relaxed.test",
        "x@nopolicy.test",
        Some("mail.relaxed.test"),
    );
    assert_eq!(id, "DMARC_PASS", "{h}");
    assert!(h.contains("dkim=pass header.d=mail.relaxed.test"), "{h}");
    let (id, h) = dmarc(
        &env,
        "a@strict.test",
        "x@nopolicy.test",
        Some("mail.strict.test"),
    );
    assert_eq!(id, "DMARC_REJECT", "{h}");
    assert!(h.contains("dkim=pass header.d=mail.strict.test"), "{h}");
}

#[test]
fn auth_dmarc_subdomain_policy_sp() {
    let env = Env::start("");
    dmarc_zone(&env);
    let (id, h) = dmarc(&env, "a@sub.parent.test", "x@nopolicy.test", None);
    assert_eq!(id, "DMARC_REJECT", "{h}");
    assert!(
        h.contains("header.from=sub.parent.test policy.dmarc=reject"),
        "{h}"
    );
    let (id, h) = dmarc(&env, "a@parent.test", "x@nopolicy.test", None);
    assert_eq!(
        id, "DMARC_FAIL",
        "p=none at the organisational domain itself: {h}"
    );
}

#[test]
fn auth_dmarc_nonexistent_subdomain_policy_np() {
    let env = Env::start("");
    dmarc_zone(&env);
    let (id, h) = dmarc(&env, "a@ghost.np.test", "x@nopolicy.test", None);
    assert_eq!(id, "DMARC_REJECT", "{h}");
    let (id, h) = dmarc(&env, "a@real.np.test", "x@nopolicy.test", None);
    assert_eq!(id, "DMARC_FAIL", "an existing subdomain gets sp=none: {h}");
}

#[test]
fn auth_dmarc_pct_samples_the_policy() {
    let env = Env::start("");
    dmarc_zone(&env);
    for _ in 0..5 {
        let (id, h) = dmarc(&env, "a@pct0.test", "x@nopolicy.test", None);
        assert_eq!(
            id, "DMARC_QUARANTINE",
            "pct=0: reject becomes quarantine: {h}"
        );
        let (id, h) = dmarc(&env, "a@pct100.test", "x@nopolicy.test", None);
        assert_eq!(id, "DMARC_REJECT", "{h}");
    }
}

#[test]
fn auth_dmarc_several_or_no_from_headers_fail() {
    let env = Env::start("");
    let two = b"From: a@sender.test\r\nFrom: b@sender.test\r\nSubject: two\r\n\r\nbody\r\n";
    let none = b"Subject: none\r\n\r\nbody\r\n";
    let two_domains = b"From: a@sender.test, b@other.test\r\nSubject: x\r\n\r\nbody\r\n";
    for (msg, why) in [
        (&two[..], "several From headers"),
        (&none[..], "no From header"),
        (&two_domains[..], "From header with several author domains"),
    ] {
        let outcome = env.authenticate("", HELO, "a@sender.test", msg);
        assert!(
            ids(&outcome).contains(&"DMARC_BAD_FROM"),
            "{why}: {:?}",
            ids(&outcome)
        );
        assert!(
            outcome.header.contains(&format!("dmarc=fail ({why})")),
            "{}",
            outcome.header
        );
    }
    // And over SMTP: the default policy rejects it.
    let reply = env.send(HELO, "a@sender.test", "alice@example.test", two);
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
}
