//! The attachment inspector and archive walker: any bytes under any name give facts, never a
//! panic or an unbounded allocation. The body is `moat::fuzzing::archive`, shared with the
//! replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::archive(data));
