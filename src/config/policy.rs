//! The `rules`, `actions`, `lists` and `quarantine` sections: raw serde types with their
//! defaults, and their validation into `Policy`.

use super::action::Thresholds;
pub use super::lists::{List, RawList, RawLists};
use super::scores::ScoreTable;
use super::values::{ByteSize, HumanDuration};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The `rules.files` entry that names the rules built into Moat (`crate::rules::builtin`).
pub const BUILTIN_RULES: &str = "builtin:default";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRules {
    pub files: Vec<String>,
    pub watch: HumanDuration,
    /// A score file (`moat rules fit --out`) whose scores replace those of the findings it
    /// names: rules, classifier bands, authentication and reputation findings alike.
    pub scores: Option<String>,
}

impl Default for RawRules {
    fn default() -> Self {
        RawRules {
            files: vec![BUILTIN_RULES.to_string()],
            watch: HumanDuration(Duration::from_secs(2)),
            scores: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawActions {
    pub add_header: Option<f64>,
    pub rewrite_subject: Option<f64>,
    pub quarantine: Option<f64>,
    pub tempfail: Option<f64>,
    pub reject: Option<f64>,
    pub subject_tag: String,
}

impl Default for RawActions {
    fn default() -> Self {
        let t = Thresholds::default();
        RawActions {
            add_header: t.add_header,
            rewrite_subject: t.rewrite_subject,
            quarantine: t.quarantine,
            tempfail: t.tempfail,
            reject: t.reject,
            subject_tag: t.subject_tag,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawQuarantine {
    pub path: String,
    pub max_age: HumanDuration,
    pub max_size: ByteSize,
}

impl Default for RawQuarantine {
    fn default() -> Self {
        RawQuarantine {
            path: "./moat-quarantine".into(),
            max_age: HumanDuration(Duration::from_secs(30 * 86400)),
            max_size: ByteSize(1 << 30),
        }
    }
}

/// What the validated sections become.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Rule files or globs, resolved against the config file's directory, or `builtin:default`.
    pub rule_files: Vec<PathBuf>,
    /// How often rule and config files are polled for changes; zero disables the watch.
    pub watch: Duration,
    pub thresholds: Thresholds,
    /// `rules.scores`: the file (watched for changes) and the scores read from it; applied
    /// to every finding before the verdict. Empty without the key.
    pub scores_file: Option<PathBuf>,
    pub scores: Arc<ScoreTable>,
    /// Shared with every session (the deny list is also applied at HELO and RCPT).
    pub allow: Arc<List>,
    pub deny: Arc<List>,
    pub quarantine: QuarantineConfig,
}

#[derive(Debug, Clone)]
pub struct QuarantineConfig {
    pub path: PathBuf,
    pub max_age: Duration,
    pub max_size: u64,
}

/// Validates the four sections; `push(key, message)` records an error.
pub fn build(
    origin: &str,
    rules: RawRules,
    actions: RawActions,
    lists: RawLists,
    quarantine: RawQuarantine,
    push: &mut dyn FnMut(&str, String),
) -> Policy {
    let base = super::paths::base(origin);
    let rule_files = rules
        .files
        .iter()
        .map(|f| {
            if f == BUILTIN_RULES {
                PathBuf::from(f)
            } else {
                super::paths::resolve(origin, f)
            }
        })
        .collect();
    let thresholds = Thresholds {
        add_header: actions.add_header,
        rewrite_subject: actions.rewrite_subject,
        quarantine: actions.quarantine,
        tempfail: actions.tempfail,
        reject: actions.reject,
        subject_tag: actions.subject_tag,
    };
    check_order(&thresholds, push);
    let scores_file = rules.scores.as_ref().map(|f| base.join(f));
    let scores = scores_file
        .as_deref()
        .map(|f| {
            // Read now, with the rest of the configuration: a broken score file refuses
            // the whole configuration, so a reload keeps the running scores.
            ScoreTable::load(f).unwrap_or_else(|errors| {
                for e in errors {
                    push("rules.scores", e.to_string());
                }
                ScoreTable::default()
            })
        })
        .unwrap_or_default();
    Policy {
        rule_files,
        watch: rules.watch.0,
        thresholds,
        scores_file,
        scores: Arc::new(scores),
        allow: Arc::new(super::lists::build(lists.allow, "lists.allow", &base, push)),
        deny: Arc::new(super::lists::build(lists.deny, "lists.deny", &base, push)),
        quarantine: QuarantineConfig {
            path: super::paths::resolve(origin, quarantine.path),
            max_age: quarantine.max_age.0,
            max_size: quarantine.max_size.0,
        },
    }
}

/// Thresholds that are set must not decrease with the strength of the action.
fn check_order(t: &Thresholds, push: &mut dyn FnMut(&str, String)) {
    let set = [
        ("add_header", t.add_header),
        ("rewrite_subject", t.rewrite_subject),
        ("quarantine", t.quarantine),
        ("tempfail", t.tempfail),
        ("reject", t.reject),
    ];
    let mut last: Option<(&str, f64)> = None;
    for (name, value) in set {
        let Some(v) = value else { continue };
        if !v.is_finite() {
            push(&format!("actions.{name}"), "must be a finite number".into());
            continue;
        }
        if let Some((prev, p)) = last
            && v < p
        {
            push(
                &format!("actions.{name}"),
                format!(
                    "{v} is below actions.{prev} ({p}): thresholds rise with the action's strength"
                ),
            );
        }
        last = Some((name, v));
    }
}

#[cfg(test)]
mod tests;
