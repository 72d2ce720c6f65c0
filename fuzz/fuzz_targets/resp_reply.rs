//! Redis replies (RESP2, what a Redis server sends Moat): never panic, never over-read, and
//! a complete reply parses the same whatever the bytes after it.
//! The body is `moat::fuzzing::resp_reply`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::resp_reply(data));
