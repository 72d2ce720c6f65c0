//! Metrics of the state store and of the features that use it, registered in Moat's one
//! registry (`crate::metrics`). Labels are closed sets: operations, limit kinds, results.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct StateMetrics {
    errors: IntCounterVec,
    evictions: IntCounter,
    refusals: IntCounterVec,
    greylist: IntCounterVec,
}

static METRICS: OnceLock<StateMetrics> = OnceLock::new();

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let evictions = IntCounter::new(
        "moat_state_evictions_total",
        "Entries the in-memory state store evicted before their expiry because it was full.",
    )
    .expect("valid counter");
    r.register(Box::new(evictions.clone()))
        .expect("unique metric");
    let m = StateMetrics {
        errors: counter(
            r,
            "moat_state_errors_total",
            "State store operations that failed (Redis down, slow or refusing), by feature.",
            &["op"],
        ),
        evictions,
        refusals: counter(
            r,
            "moat_ratelimit_refusals_total",
            "Connections, messages and recipients refused by a rate limit, by kind and scope.",
            &["kind", "scope"],
        ),
        greylist: counter(
            r,
            "moat_greylist_total",
            "Greylisting decisions at RCPT, by result.",
            &["result"],
        ),
    };
    for op in ["ratelimit", "greylist", "model"] {
        m.errors.with_label_values(&[op]);
    }
    let _ = METRICS.set(m);
}

fn get() -> &'static StateMetrics {
    crate::metrics::get();
    METRICS.get().expect("registered with the metrics registry")
}

/// Seconds between two log lines about state store failures.
const LOG_EVERY_SECS: u64 = 10;

/// A failed state operation: counted always, logged at most once per `LOG_EVERY_SECS` with
/// the number of failures since the last line (an outage must not flood the log).
pub fn failed(op: &'static str, error: &super::StateError) {
    static LAST_LOG: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
    get().errors.with_label_values(&[op]).inc();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let last = LAST_LOG.load(Ordering::Relaxed);
    if now >= last + LOG_EVERY_SECS
        && LAST_LOG
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let suppressed = SUPPRESSED.swap(0, Ordering::Relaxed);
        tracing::warn!(target: "moat::store::state", op, error = %error, failures_not_logged = suppressed, "state store unavailable");
    } else {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
    }
}

pub fn evicted(n: u64) {
    get().evictions.inc_by(n);
}

/// A rate-limit refusal: `kind` is connections/messages/recipients, `scope` client/network.
pub fn refused(kind: &str, scope: &str) {
    get().refusals.with_label_values(&[kind, scope]).inc();
}

/// A greylisting decision (`first`, `early`, `passed`, `known`, `exempt`, `error`).
pub fn greylist(result: &str) {
    get().greylist.with_label_values(&[result]).inc();
}
