//! The Redis store against a real `redis-server`: the operations, their bound when Redis
//! does not answer, and reconnection after a restart.

use crate::common::redis::Redis;
use moat::config::state::{Backend, StateConfig, parse_url};
use moat::store::state::{StateError, Store};
use std::time::{Duration, Instant};

fn store(url: &str, timeout: Duration) -> Store {
    Store::new(&StateConfig {
        backend: Backend::Redis,
        redis: parse_url(url).unwrap(),
        timeout,
        ..StateConfig::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn redis_store_counts_stores_and_publishes() {
    let Some(redis) = Redis::start("redis_store_ops") else {
        return;
    };
    let s = store(&redis.url(), Duration::from_secs(2));
    runtime().block_on(async {
        let w = Duration::from_secs(60);
        let first = s.hit("c", w).await.unwrap();
        let second = s.hit("c", w).await.unwrap();
        assert!(
            second >= first + 1.0 && second < 3.0 + 1e-9,
            "{first} {second}"
        );
        assert_eq!(s.get("k").await, Ok(None));
        s.set("k", b"v\r\n\0", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.get("k").await, Ok(Some(b"v\r\n\0".to_vec())));
        s.set("short", b"x", Duration::from_millis(50))
            .await
            .unwrap();
        // Pacing, the behaviour under test: Redis's own expiry, in the Redis process's real
        // time (no clock of Moat's reaches it), just past the 50 ms TTL.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(s.get("short").await, Ok(None));
        assert_eq!(s.version("model").await, Ok(None));
        let blob = vec![7u8; 3 << 20];
        assert_eq!(s.publish("model", &blob, None).await, Ok(Some(1)));
        assert_eq!(s.fetch("model").await, Ok(Some((1, blob))));
        assert_eq!(s.publish("model", b"newer", Some(1)).await, Ok(Some(2)));
        assert_eq!(
            s.publish("model", b"lost", Some(1)).await,
            Ok(None),
            "stale base"
        );
        assert_eq!(
            s.publish("model", b"lost", None).await,
            Ok(None),
            "stale base"
        );
        assert_eq!(s.version("model").await, Ok(Some(2)));
        assert_eq!(s.fetch("model").await, Ok(Some((2, b"newer".to_vec()))));
    });
}

#[test]
fn redis_store_is_bounded_by_its_timeout_and_reconnects() {
    let Some(mut redis) = Redis::start("redis_store_timeout") else {
        return;
    };
    // A server that accepts and never answers: every call ends at the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let s = store(
        &format!("redis://{}", silent.local_addr().unwrap()),
        Duration::from_millis(150),
    );
    let rt = runtime();
    let started = Instant::now();
    assert_eq!(rt.block_on(s.get("k")), Err(StateError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(600));
    // After a timeout, calls fail at once for a while rather than each waiting it out.
    let started = Instant::now();
    assert_eq!(rt.block_on(s.get("k")), Err(StateError::Unavailable));
    assert!(started.elapsed() < Duration::from_millis(50));

    let s = store(&redis.url(), Duration::from_millis(300));
    rt.block_on(s.set("k", b"1", Duration::from_secs(60)))
        .unwrap();
    redis.stop();
    // The idle connection fails, then the reconnect is refused…
    assert!(rt.block_on(s.get("k")).is_err());
    assert!(rt.block_on(s.get("k")).is_err());
    // …and for a second after that calls fail without trying.
    let started = Instant::now();
    assert_eq!(rt.block_on(s.get("k")), Err(StateError::Unavailable));
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "fails fast while down"
    );
    redis.restart();
    // The store waits a second before it tries again: on Moat's clock, which the test moves.
    moat::clock::advance(Duration::from_millis(1010));
    assert_eq!(
        rt.block_on(s.get("k")),
        Ok(None),
        "reconnected (to an empty Redis)"
    );
}

/// Throughput of the rate-limit operation against a local Redis, for the docs:
/// `cargo test --release --test state redis_store_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn redis_store_throughput() {
    let Some(redis) = Redis::start("redis_store_throughput") else {
        return;
    };
    let s = store(&redis.url(), Duration::from_secs(2));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tasks, per_task) = (64, 500);
    let started = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let s = s.clone();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        s.hit(&format!("rl:bench:{t}"), Duration::from_secs(60))
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    let n = tasks * per_task;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} rate-limit hits from {tasks} tasks in {secs:.2} s: {:.0}/s, {:.0} µs each on average",
        n as f64 / secs,
        secs * 1e6 / n as f64 * tasks as f64
    );
}
