//! The configuration loader: any text gives a Config or a list of errors, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(errors) = moat::config::Config::from_yaml(text, "fuzz.yaml") {
            assert!(!errors.0.is_empty());
        }
    }
});
