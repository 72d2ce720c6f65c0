//! Scan API request heads: never panic; accepted heads carry no line breaks in values. The
//! body is `moat::doors::scan_api::http::fuzz`, shared with the replay test (tests/fuzz_replay.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moat::doors::scan_api::http::fuzz(data));
