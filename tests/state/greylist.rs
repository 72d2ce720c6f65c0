//! Acceptance 4: greylisting with Redis — first attempt 451 4.7.1, retry before the delay
//! 451, retry after it 250 — and a second instance sharing the Redis recognises the triplet.

use crate::common::fault_backend::FaultBackend;
use crate::common::redis::Redis;
use crate::support::{attempt, local_metric, start, start_local};
use std::time::Duration;

fn greylist_yaml(redis: &Redis) -> String {
    format!(
        "state:\n  backend: redis\n  url: {}\n\
         greylist:\n  enabled: true\n  delay: 2s\n  retry_window: 1h\n",
        redis.url()
    )
}

/// Two instances in this process, each with its own connection to the shared Redis: the
/// greylist delay passes on Moat's clock (`moat::clock::advance`), not in real time.
#[test]
fn greylist_redis_defers_first_and_early_then_passes_across_instances() {
    let Some(redis) = Redis::start("greylist_redis") else {
        return;
    };
    let backend = FaultBackend::normal();
    let a = start_local(&backend, &greylist_yaml(&redis));
    let b = start_local(&backend, &greylist_yaml(&redis));
    let (from, to) = ("Sender@Origin.test", "alice@example.test");

    let (first, _) = attempt("127.0.0.1", a.moat.addr, from, to);
    assert!(first.starts_with("451 4.7.1 "), "{first}");
    assert!(first.contains("(ref="), "{first}");
    // The early retry goes to the other instance: it knows the triplet from Redis.
    let (early, _) = attempt("127.0.0.1", b.moat.addr, "sender@origin.test", to);
    assert!(early.starts_with("451 4.7.1 "), "{early}");
    assert_eq!(local_metric("moat_greylist_total{result=\"first\"}"), 1.0);
    assert_eq!(local_metric("moat_greylist_total{result=\"early\"}"), 1.0);
    assert!(
        backend.rcpts().is_empty(),
        "a greylisted RCPT never reaches the backend"
    );

    // The greylist delay (2 s) passes.
    moat::clock::advance(Duration::from_millis(2100));
    let (passed, end) = attempt("127.0.0.1", b.moat.addr, from, to);
    assert!(passed.starts_with("250"), "{passed}");
    assert!(end.unwrap().starts_with("250"));
    // And the first instance now knows it as passed.
    let (known, end) = attempt("127.0.0.1", a.moat.addr, from, to);
    assert!(known.starts_with("250"), "{known}");
    assert!(end.unwrap().starts_with("250"));
    assert_eq!(local_metric("moat_greylist_total{result=\"known\"}"), 1.0);
    assert_eq!(backend.messages().len(), 2);
}

#[test]
fn greylist_triplet_is_per_recipient_and_allow_listed_clients_skip_it() {
    let backend = FaultBackend::normal();
    let yaml = "greylist:\n  enabled: true\n  delay: 1h\n\
                lists:\n  allow:\n    clients: [127.0.0.2/32]\n";
    let m = start(&backend, yaml);
    let (r, _) = attempt(
        "127.0.0.1",
        m.moat.addr,
        "s@origin.test",
        "alice@example.test",
    );
    assert!(r.starts_with("451 4.7.1"), "{r}");
    let (r, _) = attempt(
        "127.0.0.1",
        m.moat.addr,
        "s@origin.test",
        "bob@example.test",
    );
    assert!(
        r.starts_with("451 4.7.1"),
        "another recipient is another triplet: {r}"
    );
    let (r, end) = attempt(
        "127.0.0.2",
        m.moat.addr,
        "s@origin.test",
        "alice@example.test",
    );
    assert!(r.starts_with("250"), "allow-listed client: {r}");
    assert!(end.unwrap().starts_with("250"));
}
