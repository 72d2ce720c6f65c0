//! DKIM signatures that must never pass: rsa-sha1 (RFC 8301 3.1), no `v=1` (RFC 6376 6.1.1),
//! a key under 1024 bits (RFC 8301 3.2), a broken tag list (RFC 6376 3.2); and key errors
//! reported as key errors.

use crate::harness::*;

/// Sends `message`, returns Moat's `dkim=` clause and its DKIM finding.
fn verdict(world: &World, subject: &str, message: &[u8]) -> (String, (String, String)) {
    let header = world.deliver(subject, message);
    let dkim = header
        .split("; ")
        .find(|p| p.starts_with("dkim="))
        .unwrap_or("")
        .to_string();
    let findings = world.findings(message);
    (dkim, finding(&findings, "DKIM_").clone())
}

#[test]
fn conformance_dkim_rsa_sha1_missing_v_short_key_never_pass() {
    let test = "conformance_dkim_rsa_sha1_missing_v_short_key_never_pass";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let small = small_key();
    let cases: [(&str, &str, Option<&std::path::Path>, &str, &str); 8] = [
        ("s1", "none", None, "rsa-sha256", "pass"),
        (
            "s1",
            "none",
            None,
            "rsa-sha1",
            "permerror (a=rsa-sha1 is not valid, RFC 8301 3.1)",
        ),
        (
            "s1",
            "dkim:drop:v",
            None,
            "rsa-sha256",
            "permerror (no v= tag)",
        ),
        (
            "s1",
            "dkim:set:v:2",
            None,
            "rsa-sha256",
            "permerror (v= is not 1, RFC 6376 6.1.1)",
        ),
        (
            "s1",
            "dkim:drop:a",
            None,
            "rsa-sha256",
            "permerror (no a= tag)",
        ),
        (
            "s1",
            "dkim:dup:s",
            None,
            "rsa-sha256",
            "permerror (tag s= appears twice)",
        ),
        (
            "s1",
            "dkim:emptyspec",
            None,
            "rsa-sha256",
            "permerror (empty tag-spec)",
        ),
        (
            "s512",
            "none",
            Some(small.private_pem.as_path()),
            "rsa-sha256",
            "permerror (key s512: 512-bit key, under 1024, RFC 8301 3.2)",
        ),
    ];
    let mut wrong = Vec::new();
    for (n, (selector, mutation, key, alg, want)) in cases.into_iter().enumerate() {
        let subject = format!("dkim-{n}");
        let message = dkim(&message(&subject, ""), selector, mutation, key, alg);
        let (clause, (id, why)) = verdict(&world, &subject, &message);
        let want_clause = format!("dkim={want} header.d=nopolicy.test header.s={selector}");
        if clause != want_clause {
            wrong.push(format!(
                "{mutation} {alg} {selector}: {clause:?}, want {want_clause:?}"
            ));
        }
        let want_id = format!(
            "DKIM_{}",
            want.split(' ').next().unwrap().to_ascii_uppercase()
        );
        let reason = want
            .split_once(" (")
            .map_or("", |(_, r)| r.trim_end_matches(')'));
        if id != want_id || !why.contains(reason) {
            wrong.push(format!("{mutation} {alg} {selector}: finding {id} {why:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The library compared the body hash before fetching the key: a changed body signed with a
/// missing or unusable key was "body hash mismatch". The key's problem is the reason now.
#[test]
fn conformance_dkim_key_errors_reported_as_key_errors() {
    let test = "conformance_dkim_key_errors_reported_as_key_errors";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    for (n, (selector, want)) in [
        ("bad", "dkim=permerror (key bad: not a usable public key)"),
        ("gone", "dkim=permerror (key gone: DNS record not found"),
        (
            "s1",
            "dkim=fail (Calculated body hash does not match signature hash)",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let subject = format!("dkim-key-{n}");
        let mut message = dkim(&message(&subject, ""), selector, "none", None, "rsa-sha256");
        message.extend_from_slice(b"-- \r\nfooter\r\n");
        let (clause, (id, why)) = verdict(&world, &subject, &message);
        assert!(clause.starts_with(want), "{clause}, want {want}");
        let want_id = if selector == "s1" {
            "DKIM_FAIL"
        } else {
            "DKIM_PERMERROR"
        };
        assert_eq!(id, want_id, "{why}");
    }
}
