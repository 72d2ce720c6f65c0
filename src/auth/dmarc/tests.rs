//! The organisational domain by the PSL and the policy choice, without DNS. The
//! real-world-shaped cases against the tree walk run in `tests/auth/dmarc_org.rs`.

use super::*;
use mail_auth::common::parse::TxtRecordParser;

/// A slice of the PSL's shapes: ICANN multi-label suffixes, a wildcard with an exception,
/// private multi-label suffixes, an IDN suffix.
const LIST: &str = "com\nuk\nco.uk\njp\n*.kawasaki.jp\n!city.kawasaki.jp\nio\ngithub.io\n\
                    com\namazonaws.com\ns3.amazonaws.com\nnet\nde\n\u{5927}\u{962a}.jp\n";

fn list() -> SuffixList {
    SuffixList::parse(LIST, "test").unwrap()
}

fn record(text: &str) -> Record {
    Record::parse(text.as_bytes()).unwrap()
}

#[test]
fn dmarc_org_domain_by_public_suffix_list() {
    let l = list();
    for (domain, org) in [
        ("example.com", "example.com"),
        ("a.b.example.com", "example.com"),
        ("mail.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),
        ("example.uk", "example.uk"),
        ("x.shop.kawasaki.jp", "x.shop.kawasaki.jp"),
        ("a.city.kawasaki.jp", "city.kawasaki.jp"),
        ("mail.alice.github.io", "alice.github.io"),
        ("github.io", "github.io"),
        ("bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
        // An unlisted top-level label is a suffix of its own (the PSL's `*` rule).
        ("mail.sender.test", "sender.test"),
        // IDN: the list is Unicode, the domain an A-label.
        (
            "mail.xn--czrs0t.xn--pssu33l.jp",
            "xn--czrs0t.xn--pssu33l.jp",
        ),
    ] {
        assert_eq!(org_domain(&l, domain), org, "{domain}");
    }
}

#[test]
fn dmarc_alignment_relaxed_by_organisation_strict_by_name() {
    let l = list();
    let from = "example.co.uk";
    let org = org_domain(&l, from);
    let relaxed = |id| aligned(&l, id, from, &org, Alignment::Relaxed);
    let strict = |id| aligned(&l, id, from, &org, Alignment::Strict);
    assert!(relaxed("bounce.example.co.uk"));
    assert!(relaxed("EXAMPLE.co.uk."));
    assert!(
        !relaxed("other.co.uk"),
        "siblings under a public suffix never align"
    );
    assert!(!relaxed("co.uk"));
    assert!(strict("example.co.uk") && !strict("bounce.example.co.uk"));
    // Two users of a private suffix are different organisations.
    let from = "alice.github.io";
    let org = org_domain(&l, from);
    assert!(!aligned(
        &l,
        "bob.github.io",
        from,
        &org,
        Alignment::Relaxed
    ));
    assert!(aligned(
        &l,
        "x.alice.github.io",
        from,
        &org,
        Alignment::Relaxed
    ));
    assert!(!aligned(&l, "", from, &org, Alignment::Relaxed));
}

#[test]
fn dmarc_policy_p_sp_np_and_testing_mode() {
    let r = record("v=DMARC1; p=none; sp=quarantine; np=reject");
    assert_eq!(applied_policy(&r, true, true), Some(Policy::None));
    assert_eq!(applied_policy(&r, false, true), Some(Policy::Quarantine));
    assert_eq!(applied_policy(&r, false, false), Some(Policy::Reject));
    // sp defaults to p, np to sp.
    let r = record("v=DMARC1; p=reject");
    assert_eq!(applied_policy(&r, false, false), Some(Policy::Reject));
    let r = record("v=DMARC1; p=reject; t=y");
    assert_eq!(applied_policy(&r, true, true), Some(Policy::Quarantine));
    // No valid p=: none with rua=, DMARC does not apply without.
    let r = record("v=DMARC1; rua=mailto:d@example.com");
    assert_eq!(applied_policy(&r, true, true), Some(Policy::None));
    let r = record("v=DMARC1; adkim=s");
    assert_eq!(applied_policy(&r, true, true), None);
}
