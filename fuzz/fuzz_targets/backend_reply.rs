//! Backend replies (what an SMTP/LMTP server sends Moat): never panic, never over-read.
//! The body is `moat::fuzzing::backend_reply`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::backend_reply(data));
