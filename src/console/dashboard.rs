//! The dashboard, from Moat's own counters (no Prometheus needed): messages by action and
//! findings since the process started, backend, reload and virus-scanner health, and the quarantine's
//! held messages per hour and per day from the index.

use super::State;
use super::templates::{Count, Dashboard, Frame};
use prometheus::core::Collector;
use std::collections::HashMap;

/// Rows of the top-findings table.
const TOP: usize = 10;

pub fn build(state: &State, frame: Option<Frame>) -> Dashboard {
    let m = crate::metrics::get();
    let mut actions: HashMap<String, u64> = HashMap::new();
    for (labels, v) in series(&m.messages) {
        *actions
            .entry(labels.first().cloned().unwrap_or_default())
            .or_default() += v;
    }
    let mut findings: HashMap<String, u64> = HashMap::new();
    for (labels, v) in series(&m.check_results) {
        let finding = labels.get(1).cloned().unwrap_or_default();
        if finding != "clean" && finding != "failed" && v > 0 {
            *findings.entry(finding).or_default() += v;
        }
    }
    let now = crate::rules::check::now_unix() as u64;
    let mut hours = vec![0u64; 24];
    let mut days = vec![0u64; 7];
    let held = state.index.with_rows(|rows| {
        // Newest first: stop at the first row older than the week shown.
        for r in rows {
            let age = now.saturating_sub(r.meta.time);
            if age >= 7 * 86_400 {
                break;
            }
            if let Some(h) = hours.get_mut((age / 3600) as usize) {
                *h += 1;
            }
            days[(age / 86_400) as usize] += 1;
        }
        rows.len()
    });
    let label_hour =
        |i: usize| super::templates::when(now - now % 3600 - i as u64 * 3600)[11..].to_string();
    let label_day = |i: usize| super::templates::when(now - i as u64 * 86_400)[..10].to_string();
    let scanner = scanner_health(state);
    Dashboard {
        frame,
        held,
        actions: sorted(actions, usize::MAX),
        held_hours: hours
            .into_iter()
            .enumerate()
            .map(|(i, v)| Count {
                label: label_hour(i),
                value: v,
            })
            .collect(),
        held_days: days
            .into_iter()
            .enumerate()
            .map(|(i, v)| Count {
                label: label_day(i),
                value: v,
            })
            .collect(),
        findings: sorted(findings, TOP),
        backend_up: m.backend_up.get() != 0,
        reload_ok: m.config_last_reload_successful.get() != 0,
        scanner: scanner.0,
        scanner_bad: scanner.1,
    }
}

/// The clamd scanner's health from the last scan this process made: whether clamd answered
/// it (`clean`/`virus`) or why not. Off when the malware check or clamd is not configured.
fn scanner_health(state: &State) -> (String, bool) {
    let config = (state.current)().config.clone();
    if !config.malware.enabled || config.malware.clamd.is_none() {
        return ("off".into(), false);
    }
    use crate::malware::metrics::{answered, last_result};
    match last_result() {
        None => ("no scan yet".into(), false),
        Some(r) if answered(r) => ("answering".into(), false),
        Some(r) => (format!("failing ({r})"), true),
    }
}

/// Every series of a counter vector: its label values and value.
fn series(c: &prometheus::IntCounterVec) -> Vec<(Vec<String>, u64)> {
    let mut out = Vec::new();
    for family in c.collect() {
        for metric in family.get_metric() {
            let labels = metric
                .get_label()
                .iter()
                .map(|l| l.value().to_string())
                .collect();
            out.push((labels, metric.get_counter().get_value() as u64));
        }
    }
    out
}

fn sorted(map: HashMap<String, u64>, n: usize) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(label, value)| Count { label, value })
        .collect();
    v.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
    v.truncate(n);
    v
}
