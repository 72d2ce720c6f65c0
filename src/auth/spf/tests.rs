//! Parser and macro unit tests; the whole RFC 7208 suite runs in tests/conformance_spf.rs.

use super::macros::{Context, MacroString, Values};
use super::record::{Mechanism, Record, is_spf};

struct Example;

/// The values of RFC 7208 7.4's examples.
impl Values for Example {
    fn value(&self, letter: u8) -> String {
        match letter {
            b's' => "strong-bad@email.example.com",
            b'o' => "email.example.com",
            b'd' => "email.example.com",
            b'i' => "192.0.2.3",
            b'l' => "strong-bad",
            b'v' => "in-addr",
            b'h' => "mx.example.org",
            _ => "",
        }
        .to_string()
    }
}

fn expand(text: &str) -> String {
    MacroString::parse(text, Context::Record)
        .unwrap()
        .expand(&Example)
}

#[test]
fn spf_macros_rfc7208_examples() {
    assert_eq!(expand("%{s}"), "strong-bad@email.example.com");
    assert_eq!(expand("%{o}"), "email.example.com");
    assert_eq!(expand("%{d}"), "email.example.com");
    assert_eq!(expand("%{d4}"), "email.example.com");
    assert_eq!(expand("%{d3}"), "email.example.com");
    assert_eq!(expand("%{d2}"), "example.com");
    assert_eq!(expand("%{d1}"), "com");
    assert_eq!(expand("%{dr}"), "com.example.email");
    assert_eq!(expand("%{d2r}"), "example.email");
    assert_eq!(expand("%{l}"), "strong-bad");
    assert_eq!(expand("%{l-}"), "strong.bad");
    assert_eq!(expand("%{lr}"), "strong-bad");
    assert_eq!(expand("%{lr-}"), "bad.strong");
    assert_eq!(expand("%{l1r-}"), "strong");
    assert_eq!(
        expand("%{ir}.%{v}._spf.%{d2}"),
        "3.2.0.192.in-addr._spf.example.com"
    );
    assert_eq!(
        expand("%{lr-}.lp._spf.%{d2}"),
        "bad.strong.lp._spf.example.com"
    );
    assert_eq!(
        expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
        "3.2.0.192.in-addr.strong.lp._spf.example.com"
    );
    assert_eq!(expand("%{S}"), "strong-bad%40email.example.com");
    assert_eq!(expand("%%%_%-"), "% %20");
}

#[test]
fn spf_macros_malformed_are_errors() {
    for bad in ["%{", "%{x}", "%{d0}", "%{c}", "%z", "%", "a b", "%{d;}"] {
        assert!(MacroString::parse(bad, Context::Record).is_err(), "{bad}");
    }
    assert!(MacroString::parse("%{c} at %{t}", Context::Explanation).is_ok());
}

#[test]
fn spf_record_selection_needs_the_exact_version() {
    assert!(is_spf(b"v=spf1"));
    assert!(is_spf(b"V=SPF1 -all"));
    assert!(!is_spf(b"v=spf10 -all"));
    assert!(!is_spf(b"v=spf1-all"));
}

#[test]
fn spf_record_syntax() {
    let ok = [
        "v=spf1 a mx/24 a:foo.example.com//64 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all",
        "v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1  ptr:example.xn--zckzah  unknown=%{d} redirect=_spf.example.com ",
    ];
    for record in ok {
        assert!(Record::parse(record.as_bytes()).is_ok(), "{record}");
    }
    let bad = [
        "v=spf1 a:1.2.3.4",
        "v=spf1 ip4:192.0.2.1/33",
        "v=spf1 ip4:192.0.2.1/032",
        "v=spf1 ip6:::1/129",
        "v=spf1 a:foo.-com",
        "v=spf1 a:com",
        "v=spf1 redirect=a.example redirect=b.example",
        "v=spf1 -redirect=a.example",
        "v=spf1 foo:bar",
        "v=spf1 1bad=x",
        "v=spf1 all:x",
        "v=spf1 include",
        "v=spf1 a:b\x01.com",
        "v=spf1 a:\u{e9}.example.com",
    ];
    for record in bad {
        assert!(Record::parse(record.as_bytes()).is_err(), "{record}");
    }
}

#[test]
fn spf_dual_cidr_is_split_from_the_target() {
    let record = Record::parse(b"v=spf1 a:foo.example.com/24//64").unwrap();
    match &record.directives[0].mechanism {
        Mechanism::A(Some(_), cidr) => assert_eq!((cidr.v4, cidr.v6), (24, 64)),
        other => panic!("{other:?}"),
    }
}

/// A zone of TXT records only; names in `hang` never answer, names in `broken` fail.
struct Txt {
    records: Vec<(&'static str, &'static str)>,
    broken: &'static [&'static str],
    hang: &'static [&'static str],
}

impl super::Lookup for Txt {
    async fn txt(&self, name: &str) -> super::lookup::Answer<Vec<u8>> {
        if self.hang.contains(&name) {
            std::future::pending::<()>().await;
        }
        if self.broken.contains(&name) {
            return Err(super::DnsFail::Temp);
        }
        let found: Vec<Vec<u8>> = self
            .records
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, t)| t.as_bytes().to_vec())
            .collect();
        if found.is_empty() {
            Err(super::DnsFail::Void)
        } else {
            Ok(found)
        }
    }
    async fn a(&self, _: &str) -> super::lookup::Answer<std::net::Ipv4Addr> {
        Err(super::DnsFail::Void)
    }
    async fn aaaa(&self, _: &str) -> super::lookup::Answer<std::net::Ipv6Addr> {
        Err(super::DnsFail::Void)
    }
    async fn mx(&self, _: &str) -> super::lookup::Answer<String> {
        Err(super::DnsFail::Void)
    }
    async fn ptr(&self, _: std::net::IpAddr) -> super::lookup::Answer<String> {
        Err(super::DnsFail::Void)
    }
}

fn check(zone: &Txt, explain: bool) -> super::Outcome {
    let mut query = super::Query::new(
        "::ffff:192.0.2.9".parse().unwrap(),
        "someone@fail.test",
        "client.test",
        "mx.moat.test",
    );
    query.explain = explain;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(super::check_host(zone, &query))
}

/// RFC 7208 6.2: an explanation that cannot be fetched leaves the `fail` a `fail`.
#[test]
fn spf_exp_lookup_failure_never_changes_a_fail() {
    let zone = Txt {
        records: vec![("fail.test", "v=spf1 ip4:192.0.2.1 -all exp=why.fail.test")],
        broken: &["why.fail.test"],
        hang: &[],
    };
    let outcome = check(&zone, true);
    assert_eq!(outcome.result, super::Res::Fail);
    assert_eq!(outcome.explanation, None);
}

/// The server never asks for explanations (its replies are generic), so an explanation
/// server that never answers cannot hold a `fail` until the deadline turns it to temperror.
#[test]
fn spf_server_checks_never_fetch_the_explanation() {
    let zone = Txt {
        records: vec![
            ("fail.test", "v=spf1 ip4:192.0.2.1 -all exp=why.fail.test"),
            ("why.fail.test", "%{i} is not allowed"),
        ],
        broken: &[],
        hang: &["why.fail.test"],
    };
    assert_eq!(check(&zone, false).result, super::Res::Fail);
}

/// An IPv4-mapped client is checked as its IPv4 address (`%{i}` dotted, `ip4:` matching).
#[test]
fn spf_ipv4_mapped_client_is_checked_as_ipv4() {
    let zone = Txt {
        records: vec![
            ("fail.test", "v=spf1 ip4:192.0.2.1 -all exp=why.fail.test"),
            ("why.fail.test", "%{i} is not allowed"),
        ],
        broken: &[],
        hang: &[],
    };
    let outcome = check(&zone, true);
    assert_eq!(outcome.result, super::Res::Fail);
    assert_eq!(
        outcome.explanation.as_deref(),
        Some("192.0.2.9 is not allowed")
    );
}
