//! The quarantine's own metric, registered in Moat's one registry (`crate::metrics`). The
//! label is the closed set `Skip::as_str`.

use super::Skip;
use prometheus::{IntCounterVec, Opts, Registry};
use std::sync::OnceLock;

static SKIPPED: OnceLock<IntCounterVec> = OnceLock::new();

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let c = IntCounterVec::new(
        Opts::new(
            "moat_quarantine_skipped_total",
            "Quarantine entries a listing or retention pass left alone because they were unusable, by reason.",
        ),
        &["reason"],
    )
    .expect("valid counter");
    r.register(Box::new(c.clone())).expect("unique metric");
    for reason in Skip::ALL {
        c.with_label_values(&[reason.as_str()]);
    }
    let _ = SKIPPED.set(c);
}

/// One skipped entry (next to its log line).
pub fn skipped(reason: Skip) {
    crate::metrics::get();
    if let Some(c) = SKIPPED.get() {
        c.with_label_values(&[reason.as_str()]).inc();
    }
}

/// For tests: how many entries were skipped for `reason` so far in this process.
pub fn skipped_count(reason: Skip) -> u64 {
    crate::metrics::get();
    SKIPPED
        .get()
        .map_or(0, |c| c.with_label_values(&[reason.as_str()]).get())
}
