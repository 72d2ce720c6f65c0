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
    crate::store::state::metrics::evicted(evict as u64);
}

#[cfg(test)]
mod tests;
