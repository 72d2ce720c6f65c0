//! SMTP command lines: the parser must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    if let Ok(moat::smtp::command::Command::Rcpt { to }) = moat::smtp::command::parse(line) {
        // A parsed recipient always has a domain and never carries a line break.
        assert!(!to.address().contains(['\r', '\n']));
    }
});
