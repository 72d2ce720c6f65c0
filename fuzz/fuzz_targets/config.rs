//! The configuration loader: any text gives a Config or a list of errors, never a panic.
//! The body is `moat::fuzzing::config`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::config(data));
