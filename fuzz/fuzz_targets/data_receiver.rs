//! The DATA receiver: never panics, never keeps more than the limit, and agrees with itself however the input is split into reads.
//! The body is `moat::fuzzing::data_receiver`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::data_receiver(data));
