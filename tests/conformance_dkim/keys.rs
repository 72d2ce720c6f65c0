//! The key record and the signature's times (RFC 6376 3.5, 3.6.1, 6.1; RFC 8301 3.2):
//! `t=y` testing, `t=s` strict subdomains, revoked keys, `k=` and `h=` restrictions,
//! expired `x=`, future `t=`, RSA key sizes.

use crate::harness::{self, World, small_key, tools_present};
use crate::kit::*;
use crate::signer;

/// RFC 8463 appendix A's Ed25519 public key: a key of the wrong type for an RSA signature.
pub const ED25519_P: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// (subject, key, selector, sign.py options, change the body after signing, want)
type Planned<'a> = (
    &'a str,
    &'a std::path::Path,
    &'a str,
    &'a [&'a str],
    bool,
    &'a str,
);

#[test]
fn conformance_dkim_key_flags_restrictions_times_and_sizes() {
    let test = "conformance_dkim_key_flags_restrictions_times_and_sizes";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let p = &signer::key().public_b64;
    let (k1024, k4096) = (rsa_key(1024), rsa_key(4096));
    let small = small_key();
    let dns = world.dns();
    for (selector, record) in [
        ("revoked", "v=DKIM1; k=rsa; p=".to_string()),
        ("testing", format!("v=DKIM1; k=rsa; t=y; p={p}")),
        ("strict", format!("v=DKIM1; k=rsa; t=s; p={p}")),
        ("edkey", format!("v=DKIM1; k=ed25519; p={ED25519_P}")),
        ("hsha1", format!("v=DKIM1; k=rsa; h=sha1; p={p}")),
        ("hsha256", format!("v=DKIM1; k=rsa; h=sha256; p={p}")),
        ("hboth", format!("v=DKIM1; k=rsa; h=sha1:sha256; p={p}")),
        ("nov", format!("k=rsa; p={p}")),
        ("k1024", format!("v=DKIM1; k=rsa; p={}", k1024.public_b64)),
        ("k4096", format!("v=DKIM1; k=rsa; p={}", k4096.public_b64)),
    ] {
        dns.txt(&format!("{selector}._domainkey.{DOMAIN}"), &record);
    }
    dns.txt(
        &format!("k512._domainkey.{DOMAIN}"),
        &format!("v=DKIM1; k=rsa; p={}", small.public_b64),
    );
    let key = signer::key().private_pem.as_path();
    let plan: Vec<Planned> = vec![
        (
            "revoked",
            key,
            "revoked",
            &[],
            false,
            "dkim=permerror (Public key for this signature has been revoked",
        ),
        ("testing-pass", key, "testing", &[], false, "dkim=pass"),
        (
            "testing-fail",
            key,
            "testing",
            &[],
            true,
            "dkim=neutral (key testing: t=y testing mode, Calculated body hash",
        ),
        (
            "strict-same",
            key,
            "strict",
            &["i=a@nopolicy.test"],
            false,
            "dkim=pass",
        ),
        (
            "strict-sub",
            key,
            "strict",
            &["i=a@sub.nopolicy.test"],
            false,
            "dkim=fail",
        ),
        (
            "lax-sub",
            key,
            "s1",
            &["i=a@sub.nopolicy.test"],
            false,
            "dkim=pass",
        ),
        (
            "k-mismatch",
            key,
            "edkey",
            &[],
            false,
            "dkim=permerror (Incompatible algorithms",
        ),
        (
            "h-sha1-only",
            key,
            "hsha1",
            &[],
            false,
            "dkim=permerror (key hsha1: h=",
        ),
        ("h-sha256", key, "hsha256", &[], false, "dkim=pass"),
        ("h-both", key, "hboth", &[], false, "dkim=pass"),
        ("key-without-v", key, "nov", &[], false, "dkim=pass"),
        ("rsa-1024", &k1024.pem, "k1024", &[], false, "dkim=pass"),
        ("rsa-2048", key, "s1", &[], false, "dkim=pass"),
        ("rsa-4096", &k4096.pem, "k4096", &[], false, "dkim=pass"),
        (
            "rsa-512",
            &small.private_pem,
            "k512",
            &[],
            false,
            "dkim=permerror (key k512: 512-bit key",
        ),
    ];
    let jobs: Vec<Job> = plan
        .iter()
        .map(|(subject, key, selector, options, _, _)| Job {
            key,
            selector,
            canon: "relaxed/relaxed",
            options,
            message: message(subject, "", "Hello Alice,\r\n"),
        })
        .collect();
    let mut cases: Vec<Case> = plan
        .iter()
        .zip(sign_all(&jobs))
        .map(|((subject, _, _, _, change, want), m)| Case {
            subject: subject.to_string(),
            message: if *change {
                [&m[..], b"changed\r\n"].concat()
            } else {
                m
            },
            want: want.to_string(),
        })
        .collect();
    // x= and t= through forge.py, which signs the tags it is given (dkimpy sets neither).
    for (subject, mutation, want) in [
        (
            "expired",
            "dkim:set:x:1000000000",
            "dkim=permerror (Signature expired",
        ),
        ("future-t", "dkim:set:t:4102444800", "dkim=pass"),
        ("x-after-t", "dkim:set:x:4102444800", "dkim=pass"),
    ] {
        let message = message(subject, "", "Hello Alice,\r\n");
        cases.push(Case {
            subject: subject.into(),
            message: harness::dkim(&message, "s1", mutation, None, "rsa-sha256"),
            want: want.into(),
        });
    }
    assert_all(run(&world, &cases), cases.len());
}
