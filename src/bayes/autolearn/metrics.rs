//! Autolearn's metrics, registered in Moat's one registry (`crate::metrics`). Labels are
//! closed sets: the class, and the outcome (`learned`, `dropped`, `skipped_<guard>`).

use crate::bayes::model::Class;
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use std::sync::OnceLock;

struct AutolearnMetrics {
    messages: IntCounterVec,
    flush_errors: IntCounter,
    queued: IntGauge,
}

static METRICS: OnceLock<AutolearnMetrics> = OnceLock::new();

/// Every value of the `outcome` label.
pub fn outcomes() -> impl Iterator<Item = &'static str> {
    ["learned", "dropped"]
        .into_iter()
        .chain(super::Guard::ALL.iter().map(|g| g.label()))
}

fn class_label(class: Class) -> &'static str {
    match class {
        Class::Spam => "spam",
        Class::Ham => "ham",
    }
}

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let messages = IntCounterVec::new(
        Opts::new(
            "moat_bayes_autolearn_total",
            "Autolearn candidates (messages whose score without the classifier is past bayes.autolearn.spam_at or ham_below), by class and outcome: learned, dropped (queue full), or the guard that skipped it.",
        ),
        &["class", "outcome"],
    )
    .expect("valid counter");
    r.register(Box::new(messages.clone()))
        .expect("unique metric");
    for class in ["spam", "ham"] {
        for outcome in outcomes() {
            messages.with_label_values(&[class, outcome]);
        }
    }
    let flush_errors = IntCounter::new(
        "moat_bayes_autolearn_flush_errors_total",
        "Autolearn flushes that could not save the model (unreadable or unwritable file, Redis unavailable or busy); the batch is kept for the next flush.",
    )
    .expect("valid counter");
    r.register(Box::new(flush_errors.clone()))
        .expect("unique metric");
    let queued = IntGauge::new(
        "moat_bayes_autolearn_queued",
        "Messages waiting in the autolearn queue for the next flush.",
    )
    .expect("valid gauge");
    r.register(Box::new(queued.clone())).expect("unique metric");
    let _ = METRICS.set(AutolearnMetrics {
        messages,
        flush_errors,
        queued,
    });
}

fn get() -> Option<&'static AutolearnMetrics> {
    crate::metrics::get();
    METRICS.get()
}

/// One candidate of `class` ended with `outcome`.
pub fn counted(class: Class, outcome: &str) {
    counted_n(class, outcome, 1);
}

pub fn counted_n(class: Class, outcome: &str, n: u64) {
    if let Some(m) = get().filter(|_| n > 0) {
        m.messages
            .with_label_values(&[class_label(class), outcome])
            .inc_by(n);
    }
}

pub fn flush_failed() {
    if let Some(m) = get() {
        m.flush_errors.inc();
    }
}

pub fn queued(n: usize) {
    if let Some(m) = get() {
        m.queued.set(n as i64);
    }
}

/// For tests: candidates of `class` with `outcome` so far in this process.
pub fn count(class: Class, outcome: &str) -> u64 {
    get().map_or(0, |m| {
        m.messages
            .with_label_values(&[class_label(class), outcome])
            .get()
    })
}
