use super::*;

#[test]
fn builtin_registrable_domain_of_link_hosts() {
    let list = SuffixList::builtin();
    assert_eq!(list.registrable("a.b.evil.test").unwrap(), "evil.test");
    assert_eq!(
        list.registrable("www.shop.example.co.uk").unwrap(),
        "example.co.uk"
    );
    assert_eq!(
        list.registrable("phish.github.io").unwrap(),
        "phish.github.io"
    );
    assert_eq!(list.registrable("co.uk"), None);
    assert_eq!(list.registrable("198.51.100.7"), None);
    assert_eq!(list.registrable("localhost"), None);
}

const SAMPLE: &str = "// comment\n\ncom\nuk\nco.uk\n*.ck\n!www.ck\n*.compute.example.com\n\
                          jp\n\u{5927}\u{962a}.jp   trailing words ignored\n";

#[test]
fn full_list_rules_plain_wildcard_and_exception() {
    let list = SuffixList::parse(SAMPLE, "sample").unwrap();
    assert_eq!(
        list.registrable("a.b.example.co.uk").unwrap(),
        "example.co.uk"
    );
    assert_eq!(list.registrable("x.shop.ck").unwrap(), "x.shop.ck");
    assert_eq!(list.registrable("shop.ck"), None);
    assert_eq!(list.registrable("a.www.ck").unwrap(), "www.ck");
    assert_eq!(
        list.registrable("h.node.eu.compute.example.com").unwrap(),
        "node.eu.compute.example.com"
    );
    assert_eq!(list.registrable("x.example.com").unwrap(), "example.com");
    // Unlisted top-level label: a suffix of its own (the PSL's default rule `*`).
    assert_eq!(list.registrable("a.b.evil.test").unwrap(), "evil.test");
    assert_eq!(
        list.registrable("www.shop.\u{5927}\u{962a}.jp").unwrap(),
        "shop.\u{5927}\u{962a}.jp"
    );
    assert_eq!(list.registrable("a..b.com"), None);
}

#[test]
fn malformed_rule_names_its_line() {
    let err = SuffixList::parse("com\n\nfoo..bar\n", "x").unwrap_err();
    assert_eq!(err.0, 3);
    assert!(SuffixList::parse("// only comments\n", "x").is_err());
}

/// The list Moat reads by default must be there: a missing file fails this test (the
/// test command installs Debian's `publicsuffix`) unless `MOAT_E2E_OPTIONAL=1`.
#[test]
fn debian_list_knows_deep_suffixes() {
    let text = match std::fs::read_to_string(DEBIAN_PATH) {
        Ok(text) => text,
        Err(_) if std::env::var("MOAT_E2E_OPTIONAL").is_ok_and(|v| v == "1") => return,
        Err(e) => panic!("{DEBIAN_PATH}: {e} (install Debian's publicsuffix package)"),
    };
    let list = SuffixList::parse(&text, DEBIAN_PATH).unwrap();
    assert_eq!(
        list.registrable("a.b.example.co.uk").unwrap(),
        "example.co.uk"
    );
    assert_eq!(
        list.registrable("evil.s3.amazonaws.com").unwrap(),
        "evil.s3.amazonaws.com"
    );
}
