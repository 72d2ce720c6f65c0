//! The OpenSPF RFC 7208 test suite against Moat's SPF evaluator: every case with the
//! scenario's zone answering in memory, and the cases again end to end through `moat serve`
//! (conformance_spf/serve.rs).
//!
//! Cases where Moat deliberately answers otherwise are listed in `DIFFERS` with the reason;
//! docs/auth.md carries the same list with the RFC sections.

mod common;

#[path = "conformance_spf/server.rs"]
mod server;

#[path = "conformance_spf/serve.rs"]
mod serve;

#[path = "conformance_spf/mapped.rs"]
mod mapped;

#[path = "conformance_spf/suite.rs"]
mod suite;

#[path = "conformance_spf/zone.rs"]
mod zone;

use moat::auth::spf::{Query, check_host};
use suite::Case;

/// Cases Moat answers differently on purpose: (case id, why).
const DIFFERS: &[(&str, &str)] = &[(
    "v-macro-ip6",
    "the suite wants %{ir} of an IPv6 client in upper-case nibbles in an explanation; \
     Moat expands them in lower case as RFC 7208 7.4's own example does (DNS names are \
     case-insensitive, so only the explanation's text differs)",
)];

/// Moat's answer (result, explanation) for one case, the zone in memory.
fn evaluate(scenario: &suite::Scenario, case: &Case) -> (String, Option<String>) {
    let ip = case.host.parse().expect("case host");
    let sender = if case.mailfrom.is_empty() {
        format!("postmaster@{}", case.helo)
    } else {
        case.mailfrom.clone()
    };
    let mut query = Query::new(ip, &sender, &case.helo, "receiver.test");
    query.explain = true;
    let zone = zone::Zone(scenario);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let outcome = rt.block_on(check_host(&zone, &query));
    (outcome.result.as_str().to_string(), outcome.explanation)
}

/// Whether Moat's answer is one the case accepts; the driver's default explanation is
/// `DEFAULT`, which Moat leaves empty.
fn agrees(case: &Case, result: &str, explanation: &Option<String>) -> bool {
    let explained = explanation.as_deref().unwrap_or("DEFAULT");
    case.results.iter().any(|r| r == result)
        && case
            .explanation
            .as_deref()
            .is_none_or(|want| result != "fail" || want == explained)
}

#[test]
fn conformance_spf_rfc7208_suite_in_memory() {
    let (scenarios, cases) = suite::load();
    assert_eq!(cases.len(), 203, "the suite's case count");
    let mut disagree = Vec::new();
    for case in &cases {
        let (result, explanation) = evaluate(&scenarios[case.scenario], case);
        if !agrees(case, &result, &explanation) {
            disagree.push(format!(
                "{} ({}; spec {}): want {:?} exp {:?}, got {result} exp {explanation:?}",
                case.id,
                scenarios[case.scenario].description,
                case.spec,
                case.results,
                case.explanation
            ));
        }
    }
    let agreed = cases.len() - disagree.len();
    eprintln!(
        "RFC 7208 suite in memory: {agreed} of {} cases agree",
        cases.len()
    );
    let unexpected: Vec<&String> = disagree
        .iter()
        .filter(|d| {
            !DIFFERS
                .iter()
                .any(|(id, _)| d.starts_with(&format!("{id} ")))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} disagreements:\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Cases whose answer through `moat serve` differs from the evaluator's on purpose, because
/// the SMTP layer refuses the transaction before SPF runs: (case id, why).
const DIFFERS_SERVE: &[(&str, &str)] = &[(
    "emptylabel",
    "MAIL FROM:<lyme.eater@A...example.com> is refused with 501 5.1.7: a domain with empty \
     labels is no Domain under RFC 5321 4.1.2, so the transaction never reaches SPF (whose \
     answer for it would be none, RFC 7208 4.3)",
)];

#[test]
fn conformance_spf_rfc7208_suite_through_moat_serve() {
    let (scenarios, cases) = suite::load();
    let answers = serve::run(scenarios, &cases);
    let mut disagree = Vec::new();
    for (case, (id, answer)) in cases.iter().zip(&answers) {
        assert_eq!(&case.id, id);
        if !case.results.iter().any(|r| r == answer) {
            disagree.push(format!(
                "{id} (spec {}): want {:?}, got {answer}",
                case.spec, case.results
            ));
        }
    }
    let agreed = cases.len() - disagree.len();
    eprintln!(
        "RFC 7208 suite through moat serve: {agreed} of {} cases agree",
        cases.len()
    );
    let unexpected: Vec<&String> = disagree
        .iter()
        .filter(|d| {
            !DIFFERS_SERVE
                .iter()
                .any(|(id, _)| d.starts_with(&format!("{id} ")))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} disagreements:\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The record parser never panics on hostile text: every SPF record of the suite cut at each
/// byte and with each of a set of troublesome bytes inserted at each position.
#[test]
fn conformance_spf_record_parser_survives_mutations_of_the_suite_records() {
    use moat::auth::spf::record::{Record, is_spf};
    let (scenarios, _) = suite::load();
    let mut records = Vec::new();
    for scenario in &scenarios {
        for entries in scenario.zone.values() {
            for entry in entries {
                if let suite::Entry::Record(_, suite::RecordData::Strings(parts)) = entry {
                    records.push(parts.concat().into_bytes());
                }
            }
        }
    }
    let inserts: &[&[u8]] = &[
        b"%",
        b"%{",
        b"}",
        b"/",
        b"//",
        b":",
        b"=",
        b".",
        b" ",
        b"\0",
        "\u{e9}".as_bytes(),
        b"\xff",
    ];
    let mut parsed = 0;
    for record in records.iter().filter(|r| is_spf(r)) {
        for at in 0..=record.len() {
            let mut variants = vec![record[..at].to_vec()];
            for insert in inserts {
                let mut v = record[..at].to_vec();
                v.extend_from_slice(insert);
                v.extend_from_slice(&record[at..]);
                variants.push(v);
            }
            for v in variants.iter().filter(|v| is_spf(v)) {
                let _ = Record::parse(v);
                parsed += 1;
            }
        }
    }
    assert!(parsed > 10_000, "{parsed} variants");
}
