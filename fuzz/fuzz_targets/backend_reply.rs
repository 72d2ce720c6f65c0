//! Backend replies (what an SMTP/LMTP server sends Moat): never panic, never over-read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((reply, used))) = moat::relay::reply::parse_reply(data) {
        assert!(used <= data.len());
        assert!((200..600).contains(&reply.code));
    }
});
