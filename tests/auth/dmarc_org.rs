//! DMARC's organisational domain (issue 17 item 5): the Public Suffix List (RFC 7489 3.2,
//! `auth.dmarc.org_domain: psl`, the default) against the DMARCbis DNS tree walk
//! (`tree_walk`), on real-world-shaped names: ICANN multi-label suffixes (`com.au`,
//! `co.uk`, `co.jp`), private suffixes (`github.io`, `s3.amazonaws.com`), `sp=`, `np=`,
//! records published above or below the registrable domain. Each case runs in both modes;
//! docs/auth.md has the table.

use super::env::*;
use super::signer;

/// (name, DMARC records, author, DKIM d= or none, finding with psl, finding with tree_walk)
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "sp= of a com.au organisation for its subdomain",
        &[("example.com.au", "v=DMARC1; p=none; sp=reject")],
        "a@mail.example.com.au",
        None,
        "DMARC_REJECT",
        "DMARC_REJECT",
    ),
    (
        "a sibling under com.au never aligns",
        &[("shop.com.au", "v=DMARC1; p=reject")],
        "a@shop.com.au",
        Some("other.com.au"),
        "DMARC_REJECT",
        "DMARC_REJECT",
    ),
    (
        "np= for a non-existent subdomain under co.nz",
        &[("brand.co.nz", "v=DMARC1; p=none; sp=none; np=reject")],
        "a@ghost.brand.co.nz",
        None,
        "DMARC_REJECT",
        "DMARC_REJECT",
    ),
    (
        "a record at uk without psd=: the walk makes uk the organisation",
        &[
            ("example.co.uk", "v=DMARC1; p=reject"),
            ("uk", "v=DMARC1; p=none"),
        ],
        "a@example.co.uk",
        Some("other.co.uk"),
        "DMARC_REJECT",
        "DMARC_PASS",
    ),
    (
        "psd=y at jp: the walk takes co.jp for the organisation",
        &[
            ("example.co.jp", "v=DMARC1; p=reject"),
            ("jp", "v=DMARC1; p=none; psd=y"),
        ],
        "a@example.co.jp",
        Some("other.co.jp"),
        "DMARC_REJECT",
        "DMARC_PASS",
    ),
    (
        "tenants of a private suffix (github.io) publishing a record at its apex",
        &[
            ("alice.github.io", "v=DMARC1; p=reject"),
            ("github.io", "v=DMARC1; p=none"),
        ],
        "a@alice.github.io",
        Some("mallory.github.io"),
        "DMARC_REJECT",
        "DMARC_PASS",
    ),
    (
        "three-label private suffix (s3.amazonaws.com)",
        &[
            ("bucket.s3.amazonaws.com", "v=DMARC1; p=quarantine"),
            ("amazonaws.com", "v=DMARC1; p=none"),
        ],
        "a@bucket.s3.amazonaws.com",
        Some("other.s3.amazonaws.com"),
        "DMARC_QUARANTINE",
        "DMARC_PASS",
    ),
    (
        "a record only below the registrable domain, signed by the registrable domain",
        &[("mail.brand.com", "v=DMARC1; p=reject")],
        "a@mail.brand.com",
        Some("brand.com"),
        "DMARC_PASS",
        "DMARC_REJECT",
    ),
    (
        "no record at the author: the organisation's sp= (deep name)",
        &[("shop.com", "v=DMARC1; p=none; sp=quarantine")],
        "a@x.y.z.shop.com",
        None,
        "DMARC_QUARANTINE",
        "DMARC_QUARANTINE",
    ),
    (
        "relaxed DKIM alignment with the organisation",
        &[("shop.com", "v=DMARC1; p=reject")],
        "a@shop.com",
        Some("mail.shop.com"),
        "DMARC_PASS",
        "DMARC_PASS",
    ),
];

fn zone(env: &Env) {
    let key = signer::key_record();
    for (_, records, author, dkim, _, _) in CASES {
        for (domain, record) in *records {
            env.dns.txt(&format!("_dmarc.{domain}"), record);
        }
        let author = author.rsplit_once('@').unwrap().1;
        if !author.starts_with("ghost.") {
            env.dns.a(author, CLIENT);
        }
        if let Some(d) = dkim {
            env.dns.txt(&format!("s1._domainkey.{d}"), &key);
        }
    }
}

fn finding(env: &Env, mode: &str, author: &str, dkim: Option<&str>) -> (String, String) {
    let auth = format!("  dmarc:\n    org_domain: {mode}\n");
    super::dmarc::dmarc_with(env, &auth, "org", author, "x@nopolicy.test", dkim)
}

#[test]
fn auth_dmarc_org_domain_psl_and_tree_walk_on_real_world_shapes() {
    let env = Env::start("");
    zone(&env);
    let mut wrong = Vec::new();
    for (name, _, author, dkim, want_psl, want_walk) in CASES {
        for (mode, want) in [("psl", want_psl), ("tree_walk", want_walk)] {
            let (id, header) = finding(&env, mode, author, *dkim);
            if id != *want {
                wrong.push(format!("{name} ({mode}): {id}, want {want}: {header}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
