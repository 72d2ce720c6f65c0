//! The in-process state store: a map with per-entry expiry and a cap on entries, so a flood
//! of distinct clients or triplets cannot grow memory without limit. When full, expired
//! entries go first, then those closest to expiry (the least valuable to keep).

use crate::clock;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct MemoryStore {
    map: Mutex<HashMap<String, Entry>>,
    cap: usize,
}

struct Entry {
    value: Slot,
    expires: Instant,
}

enum Slot {
    Count(u64),
    Bytes(Vec<u8>),
}

impl MemoryStore {
    pub fn new(cap: usize) -> MemoryStore {
        MemoryStore {
            map: Mutex::new(HashMap::new()),
            cap: cap.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().expect("state map lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one to the counter `key` (created at 0, expiring after `ttl`); returns the count.
    pub fn incr(&self, key: &str, ttl: Duration) -> u64 {
        let now = clock::now();
        let mut map = self.map.lock().expect("state map lock");
        if let Some(e) = map.get_mut(key).filter(|e| e.expires > now)
            && let Slot::Count(n) = &mut e.value
        {
            *n += 1;
            return *n;
        }
        make_room(&mut map, self.cap, now);
        let expires = now + ttl;
        map.insert(
            key.to_string(),
            Entry {
                value: Slot::Count(1),
                expires,
            },
        );
        1
    }

    /// The counter `key`, 0 when absent or expired.
    pub fn count(&self, key: &str) -> u64 {
        let now = clock::now();
        let map = self.map.lock().expect("state map lock");
        match map.get(key) {
            Some(Entry {
                value: Slot::Count(n),
                expires,
            }) if *expires > now => *n,
            _ => 0,
        }
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = clock::now();
        let map = self.map.lock().expect("state map lock");
        match map.get(key) {
            Some(Entry {
                value: Slot::Bytes(b),
                expires,
            }) if *expires > now => Some(b.clone()),
            _ => None,
        }
    }

    pub fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let now = clock::now();
        let mut map = self.map.lock().expect("state map lock");
        if !map.contains_key(key) {
            make_room(&mut map, self.cap, now);
        }
        map.insert(
            key.to_string(),
            Entry {
                value: Slot::Bytes(value.to_vec()),
                expires: now + ttl,
            },
        );
    }
}

/// Frees at least one slot when the map is full: drops every expired entry, and if that is
/// not enough, the tenth of the entries closest to expiry (so the O(n) pass is amortised).
fn make_room(map: &mut HashMap<String, Entry>, cap: usize, now: Instant) {
    if map.len() < cap {
        return;
    }
    map.retain(|_, e| e.expires > now);
    if map.len() < cap {
        return;
    }
    let mut by_expiry: Vec<(Instant, String)> =
        map.iter().map(|(k, e)| (e.expires, k.clone())).collect();
    let evict = (cap / 10).max(1);
    by_expiry.select_nth_unstable_by_key(evict - 1, |(t, _)| *t);
    for (_, k) in &by_expiry[..evict] {
        map.remove(k);
    }
    crate::state::metrics::evicted(evict as u64);
}

#[cfg(test)]
mod tests {
    //! Expiry under tokio's paused clock (the store reads `crate::clock::now`).
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn memory_counter_counts_and_expires() {
        let s = MemoryStore::new(10);
        assert_eq!(s.incr("a", MIN), 1);
        assert_eq!(s.incr("a", MIN), 2);
        assert_eq!(s.count("a"), 2);
        assert_eq!(s.incr("b", Duration::from_millis(1)), 1);
        tokio::time::advance(Duration::from_millis(5)).await;
        assert_eq!(s.count("b"), 0);
        assert_eq!(s.incr("b", MIN), 1, "an expired counter starts again");
    }

    #[tokio::test(start_paused = true)]
    async fn memory_values_expire() {
        let s = MemoryStore::new(10);
        s.set("k", b"v", Duration::from_millis(1));
        s.set("long", b"w", MIN);
        tokio::time::advance(Duration::from_millis(5)).await;
        assert_eq!(s.get("k"), None);
        assert_eq!(s.get("long"), Some(b"w".to_vec()));
    }

    #[test]
    fn memory_store_is_bounded_under_a_flood_of_keys() {
        let s = MemoryStore::new(1000);
        s.set("keeper", b"x", Duration::from_secs(3600));
        for i in 0..100_000 {
            s.incr(&format!("client-{i}"), MIN);
        }
        assert!(s.len() <= 1000, "{} entries", s.len());
        assert_eq!(
            s.get("keeper"),
            Some(b"x".to_vec()),
            "the longest-lived entry survives the flood"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn memory_eviction_prefers_expired_entries() {
        let s = MemoryStore::new(3);
        s.set("old", b"1", Duration::from_millis(1));
        s.set("a", b"2", MIN);
        s.set("b", b"3", MIN);
        tokio::time::advance(Duration::from_millis(5)).await;
        s.set("c", b"4", MIN);
        for k in ["a", "b", "c"] {
            assert!(s.get(k).is_some(), "{k} kept");
        }
    }
}
