//! Redis replies (RESP2, what a Redis server sends Moat): never panic, never over-read, and
//! a complete reply parses the same whatever the bytes after it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((value, used))) = moat::state::resp::parse(data) {
        assert!(used <= data.len());
        let again = moat::state::resp::parse(&data[..used]);
        assert_eq!(again, Ok(Some((value, used))));
    }
});
