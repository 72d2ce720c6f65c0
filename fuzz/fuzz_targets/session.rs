//! The whole session state machine fed arbitrary client bytes.
//! The body is `moat::fuzzing::session`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::session(data));
