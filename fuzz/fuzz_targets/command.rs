//! SMTP command lines: the parser must never panic, whatever the bytes.
//! The body is `moat::fuzzing::command`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::command(data));
