//! The whole message pipeline without the network: parse and decode (facts), the built-in
//! rule pack, the verdict. Any bytes give a verdict, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moat::rules::facts::{Envelope, Facts};
use moat::rules::{RuleSet, builtin};
use moat::verdict::{Thresholds, decide};
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::compile(builtin::sources()).expect("built-in rules compile"));

fuzz_target!(|data: &[u8]| {
    let env = Envelope {
        client_ip: [192, 0, 2, 1].into(),
        helo: "mail.example.org".into(),
        mail_from: "sender@example.org".into(),
        rcpt_to: vec!["user@example.com".into()],
    };
    let facts = Facts::extract(data, &env, 1_767_225_600);
    let verdict = decide(RULES.evaluate(&facts), &Thresholds::default());
    std::hint::black_box(verdict);
});
