//! The whole message pipeline without the network: facts, built-in rules, verdict.
//! The body is `moat::fuzzing::pipeline`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::pipeline(data));
