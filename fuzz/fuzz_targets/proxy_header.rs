//! PROXY protocol headers: the parser must never panic, never claim more bytes than it was
//! given, and agree with itself on every prefix of its input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(h)) = moat::proxy::parse::parse(data) {
        assert!(h.consumed <= data.len());
        assert_eq!(moat::proxy::parse::parse(&data[..h.consumed]), Ok(Some(h.clone())));
    }
});
