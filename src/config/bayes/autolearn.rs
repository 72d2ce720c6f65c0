//! `bayes.autolearn`: learning from the server's own confident verdicts (docs/bayes.md
//! "Autolearn"). Off by default; the guards themselves are in `crate::bayes::autolearn`.

use crate::config::values::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutolearn {
    pub enabled: Option<bool>,
    pub spam_at: Option<f64>,
    pub ham_below: Option<f64>,
    pub per_sender_hourly: Option<u32>,
    pub per_flush: Option<usize>,
    pub every: Option<HumanDuration>,
}

/// The validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Autolearn {
    pub enabled: bool,
    /// A message whose score without the classifier is at least this is a spam candidate.
    pub spam_at: f64,
    /// A message whose score without the classifier is at most this is a ham candidate.
    pub ham_below: f64,
    /// Messages learned per sender (envelope domain, or the client's network for the null
    /// sender) per hour: one sender cannot fill the model with its own mail.
    pub per_sender_hourly: u32,
    /// Messages learned per flush, and the bound of the in-memory queue between flushes.
    pub per_flush: usize,
    /// How often the queue is added to the model.
    pub every: Duration,
}

/// Defaults. `spam_at` 12 is SpamAssassin's, in Moat's units (reject at 15, quarantine at
/// 10). `ham_below` 0: in the fitted scores (rules/default-scores-bayes.yaml) every rule
/// that fires on ham carries a positive score (the smallest 0.02) and the ham-evidence rules
/// are fitted to 0, so "at most 0 without the classifier" means no rule saw anything
/// spam-like — SpamAssassin's 0.1 says the same in its units.
impl Default for Autolearn {
    fn default() -> Self {
        Autolearn {
            enabled: false,
            spam_at: 12.0,
            ham_below: 0.0,
            per_sender_hourly: 20,
            per_flush: 500,
            every: Duration::from_secs(300),
        }
    }
}

/// Upper bound of `per_flush`: the queue holds tokens (up to 24 KiB a message), so 100 000
/// is at most about 2.4 GB — beyond any sensible setting.
const MAX_PER_FLUSH: usize = 100_000;

pub fn build(raw: Option<RawAutolearn>, errors: &mut dyn FnMut(&str, String)) -> Autolearn {
    let d = Autolearn::default();
    let Some(raw) = raw else { return d };
    let mut a = Autolearn {
        enabled: raw.enabled.unwrap_or(d.enabled),
        spam_at: raw.spam_at.unwrap_or(d.spam_at),
        ham_below: raw.ham_below.unwrap_or(d.ham_below),
        per_sender_hourly: raw.per_sender_hourly.unwrap_or(d.per_sender_hourly),
        per_flush: raw.per_flush.unwrap_or(d.per_flush),
        every: raw.every.map_or(d.every, |e| e.0),
    };
    for (key, value) in [("spam_at", a.spam_at), ("ham_below", a.ham_below)] {
        if !value.is_finite() {
            errors(
                &format!("bayes.autolearn.{key}"),
                "must be a finite number".into(),
            );
        }
    }
    if a.spam_at.is_finite() && a.ham_below.is_finite() && a.ham_below >= a.spam_at {
        errors(
            "bayes.autolearn.ham_below",
            format!(
                "must be below spam_at ({}): a score cannot be both ham and spam",
                a.spam_at
            ),
        );
    }
    if a.per_sender_hourly == 0 {
        errors(
            "bayes.autolearn.per_sender_hourly",
            "must be at least 1 (set enabled: false to learn nothing)".into(),
        );
    }
    if a.per_flush == 0 || a.per_flush > MAX_PER_FLUSH {
        errors(
            "bayes.autolearn.per_flush",
            format!("must be between 1 and {MAX_PER_FLUSH}"),
        );
        a.per_flush = d.per_flush;
    }
    if a.every < Duration::from_millis(100) || a.every > Duration::from_secs(86_400) {
        errors(
            "bayes.autolearn.every",
            "must be between 100ms and 1d".into(),
        );
    }
    a
}
