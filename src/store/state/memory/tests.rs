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
