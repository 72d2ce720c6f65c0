//! Milter packets from the MTA: never panic, never buffer past one packet's bound. The body
//! is `moat::doors::milter::codec::fuzz`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::doors::milter::codec::fuzz(data));
