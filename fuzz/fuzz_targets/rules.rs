//! The rule-file loader: any text compiles to a rule set or gives rule errors, never a panic
//! (and a compiled set runs its own examples without one).
#![no_main]
use libfuzzer_sys::fuzz_target;
use moat::rules::{RuleSet, Source};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let source = Source {
            origin: "fuzz.yaml".into(),
            text: text.into(),
        };
        match RuleSet::compile(vec![source]) {
            Ok(set) => {
                let _ = moat::rules::examples::run(&set);
            }
            Err(errors) => assert!(!errors.0.is_empty()),
        }
    }
});
