//! Public Suffix List files and the registrable-domain lookup: never panic, and a registrable
//! domain is always a suffix of its host. The body is `moat::fuzzing::suffix_list`, shared with
//! the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::fuzzing::suffix_list(data));
