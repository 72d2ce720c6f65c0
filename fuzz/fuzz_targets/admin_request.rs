//! Admin HTTP request heads: never panic; accepted requests cannot carry line breaks and
//! parse the same when written back. The body is `moat::fuzzing::admin_request`, shared with
//! the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::admin_request(data));
