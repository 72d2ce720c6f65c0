//! Unpredictable bytes for session ids, CSRF tokens, link nonces and salts: the operating
//! system's generator through ring (already built for rustls).

use ring::rand::{SecureRandom, SystemRandom};

pub fn fill(out: &mut [u8]) {
    SystemRandom::new()
        .fill(out)
        .expect("the operating system's random generator works");
}

/// 32 random bytes as 64 lower-case hex digits.
pub fn token() -> String {
    let mut b = [0u8; 32];
    fill(&mut b);
    hex(&b)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Equal without an early exit, so that the time taken does not tell how much matched.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
