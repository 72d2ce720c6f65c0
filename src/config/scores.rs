//! Score files: `scores: {FINDING_ID: score, …}`, as `moat rules fit` writes them and as
//! `rules.scores` (an admin's own fit) and the default pack (`rules/default-scores.yaml`)
//! load them. A score file changes scores only — never which findings fire, nor a forced
//! action — so it is safe to refit and reload at any time.
//!
//! Reading is all-or-nothing: one bad entry refuses the whole file, with its line, so a
//! reload keeps the previous scores (docs/rules.md "Fitted scores"). A score file is part of
//! the configuration (scores of the policy table), so it is read here; applying it to
//! findings is `crate::rules::scores`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Finding id → score. Empty (the default) changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreTable {
    scores: BTreeMap<String, f64>,
}

/// One problem in a score file; shown as `file:line: scores.ID: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreError {
    pub file: String,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The file as written; `deny_unknown_fields` makes a misspelt top-level key an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScores {
    scores: BTreeMap<String, f64>,
}

/// Scores beyond this are typing mistakes (a score of 1e9 would silently force an action).
pub const MAX_ABS_SCORE: f64 = 100.0;

impl ScoreTable {
    pub fn new(scores: BTreeMap<String, f64>) -> ScoreTable {
        ScoreTable { scores }
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn get(&self, id: &str) -> Option<f64> {
        self.scores.get(id).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.scores.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Reads and validates a score file.
    pub fn load(path: &Path) -> Result<ScoreTable, Vec<ScoreError>> {
        let origin = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => ScoreTable::parse(&text, &origin),
            Err(e) => Err(vec![ScoreError {
                file: origin,
                line: None,
                key: String::new(),
                message: format!("cannot read score file: {e}"),
            }]),
        }
    }

    /// Parses a score file's text; `origin` names it in errors. Every entry is checked, and
    /// every problem reported, before the file is refused.
    pub fn parse(text: &str, origin: &str) -> Result<ScoreTable, Vec<ScoreError>> {
        let de = yaml_serde::Deserializer::from_str(text);
        let raw: RawScores = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            vec![ScoreError {
                file: origin.to_string(),
                line: inner.location().map(|l| l.line()),
                key: if key == "." { String::new() } else { key },
                message,
            }]
        })?;
        let mut errors = Vec::new();
        for (id, score) in &raw.scores {
            let problem = if !valid_id(id) {
                Some("finding ids are UPPER_CASE letters, digits and _".to_string())
            } else if !score.is_finite() || score.abs() > MAX_ABS_SCORE {
                Some(format!(
                    "must be a number between -{MAX_ABS_SCORE} and {MAX_ABS_SCORE}"
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                errors.push(ScoreError {
                    file: origin.to_string(),
                    line: line_of_entry(text, id),
                    key: format!("scores.{id}"),
                    message,
                });
            }
        }
        if errors.is_empty() {
            Ok(ScoreTable { scores: raw.scores })
        } else {
            Err(errors)
        }
    }
}

/// Finding ids as rules, checks and bands name them (`SPF_FAIL`, `BAYES_99`).
fn valid_id(id: &str) -> bool {
    id.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The 1-based line of `ID:` under `scores:` (score files are flat: one entry per line).
fn line_of_entry(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches(['"', '\'']);
            t.strip_prefix(id)
                .map(|r| r.trim_start_matches(['"', '\'']).starts_with(':'))
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests;
