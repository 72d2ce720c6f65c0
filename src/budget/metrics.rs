//! Metrics of the memory budget, registered in Moat's one registry (`crate::metrics`).
//! The refusal label is a closed set: the SMTP stage at which room was refused.

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use std::sync::OnceLock;

struct BudgetMetrics {
    limit: IntGauge,
    reserved: IntGauge,
    refusals: IntCounterVec,
}

static METRICS: OnceLock<BudgetMetrics> = OnceLock::new();

/// Stages at which a message can be refused for want of room (`refused`).
pub const STAGES: [&str; 3] = ["mail", "data", "receiving"];

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid gauge");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let refusals = IntCounterVec::new(
        Opts::new(
            "moat_memory_refusals_total",
            "Messages answered 452 4.3.1 because the memory budget (limits.max_memory) had no room, by SMTP stage.",
        ),
        &["stage"],
    )
    .expect("valid counter");
    r.register(Box::new(refusals.clone()))
        .expect("unique metric");
    for stage in STAGES {
        refusals.with_label_values(&[stage]);
    }
    let m = BudgetMetrics {
        limit: gauge(
            r,
            "moat_memory_budget_bytes",
            "The memory budget for messages in flight (limits.max_memory).",
        ),
        reserved: gauge(
            r,
            "moat_memory_reserved_bytes",
            "Bytes of the memory budget reserved by messages in flight.",
        ),
        refusals,
    };
    let _ = METRICS.set(m);
}

fn get() -> &'static BudgetMetrics {
    crate::metrics::get();
    METRICS.get().expect("registered with the metrics registry")
}

pub(super) fn limit(bytes: usize) {
    get().limit.set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

pub(super) fn reserved(bytes: usize) {
    get().reserved.set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

/// A message refused for want of room at `stage` (one of `STAGES`); the session logs the
/// refusal with its reference id.
pub fn refused(stage: &'static str) {
    get().refusals.with_label_values(&[stage]).inc();
}
