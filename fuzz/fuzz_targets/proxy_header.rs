//! PROXY protocol headers: never panic, never claim more bytes than given.
//! The body is `moat::fuzzing::proxy_header`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::proxy_header(data));
