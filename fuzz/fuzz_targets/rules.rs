//! The rule-file loader: any text compiles to a rule set or gives rule errors, never a panic.
//! The body is `moat::fuzzing::rules`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::rules(data));
