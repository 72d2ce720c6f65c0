//! Acceptance 7: Redis killed mid-test — mail still flows (greylisting and rate limits fail
//! open, the default), each reply comes within the state timeout, the error metric moves,
//! and Moat uses Redis again once it is back. Moat runs in this process so that its clock
//! skips the one-second retry pause instead of the test waiting it out.

use crate::common::fault_backend::FaultBackend;
use crate::common::redis::Redis;
use crate::support::{attempt, local_metric, start_local};
use std::time::{Duration, Instant};

#[test]
fn redis_outage_fails_open_and_recovers() {
    let Some(mut redis) = Redis::start("redis_outage") else {
        return;
    };
    let backend = FaultBackend::normal();
    let yaml = format!(
        "state:\n  backend: redis\n  url: {}\n  timeout: 200ms\n\
         greylist:\n  enabled: true\n  delay: 1h\n\
         ratelimit:\n  client:\n    messages: 1000\n",
        redis.url()
    );
    let log = crate::common::inproc::log();
    let m = start_local(&backend, &yaml);
    let to = "alice@example.test";
    let (r, _) = attempt("127.0.0.1", m.moat.addr, "one@origin.test", to);
    assert!(r.starts_with("451 4.7.1"), "Redis up: greylisted: {r}");

    redis.stop();
    let errors = "moat_state_errors_total{op=\"greylist\"}";
    for n in 0..3 {
        let started = Instant::now();
        let (r, end) = attempt("127.0.0.1", m.moat.addr, &format!("new{n}@origin.test"), to);
        assert!(r.starts_with("250"), "Redis down: fail open: {r}");
        assert!(end.unwrap().starts_with("250"));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(backend.messages().len(), 3, "no message lost");
    assert!(local_metric(errors) >= 3.0);
    assert!(local_metric("moat_state_errors_total{op=\"ratelimit\"}") >= 3.0);
    assert!(
        log.wait_for("state store unavailable", Duration::from_secs(10)),
        "{}",
        log.text()
    );

    redis.restart();
    // Moat waits a second after a failed connect before it tries again: on its clock.
    moat::clock::advance(Duration::from_millis(1010));
    let (r, _) = attempt("127.0.0.1", m.moat.addr, "after@origin.test", to);
    assert!(
        r.starts_with("451 4.7.1"),
        "Redis back: greylisting again: {r}"
    );
}
