//! Session ids: short, random, and cheap to make per connection.

use std::time::Instant;

/// A short random id for a session: 12 base-32 characters, e.g. `K3F9QZ2M7XHA`.
pub fn new_session_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // RandomState's keys are random per process (and per thread): no getpid() per session.
    let mut v = RandomState::new().hash_one((n, Instant::now()));
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..12)
        .map(|_| {
            let c = ALPHABET[(v & 31) as usize] as char;
            v >>= 5;
            c
        })
        .collect()
}
