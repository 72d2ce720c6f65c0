//! The `bayes` section: the statistical classifier's model file, how much training it needs
//! before it speaks, and the score of each probability band (`BAYES_00` … `BAYES_999`).

pub mod autolearn;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBayes {
    /// Model file; the classifier is off when unset.
    pub model: Option<PathBuf>,
    pub min_spam: Option<u32>,
    pub min_ham: Option<u32>,
    /// Band id → score, overriding the defaults.
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
    /// `file` (the default) or `redis` (shared by every instance; see `state`).
    pub storage: Option<super::state::ModelStorage>,
    pub redis_key: Option<String>,
    pub poll: Option<super::values::HumanDuration>,
    /// Learning from the server's own confident verdicts (`autolearn` below).
    pub autolearn: Option<autolearn::RawAutolearn>,
}

/// One probability band: from the previous band's bound up to `below`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub id: &'static str,
    pub below: f64,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BayesConfig {
    pub model: Option<PathBuf>,
    pub min_spam: u32,
    pub min_ham: u32,
    pub bands: Vec<Band>,
    /// The model lives in Redis instead of `model` (`bayes.storage: redis`).
    pub redis: Option<super::state::RedisModel>,
    /// `bayes.autolearn`: off unless enabled.
    pub autolearn: autolearn::Autolearn,
}

/// The bands and their default scores, fitted with the default pack's rules by `moat rules
/// fit --bayes` (prior zero) on the development folders (scripts/fit-default.sh, docs/rules.md "Fitted
/// scores"); config/moat.yaml repeats them. The last band's bound is above 1 so it includes 1.0.
pub const DEFAULT_BANDS: &[(&str, f64, f64)] = &[
    ("BAYES_00", 0.01, -2.5),
    ("BAYES_05", 0.05, 0.0),
    ("BAYES_20", 0.20, 0.34),
    ("BAYES_40", 0.40, 0.5),
    ("BAYES_50", 0.60, 0.5),
    ("BAYES_60", 0.80, 0.5),
    ("BAYES_80", 0.95, 3.55),
    ("BAYES_95", 0.99, 3.55),
    ("BAYES_99", 0.999, 4.69),
    ("BAYES_999", 1.01, 5.0),
];

/// The bands' hand scores, as chosen before any fit: what `moat rules fit` draws the band
/// scores towards and the direction it keeps (below zero: evidence of legitimate mail).
pub const HAND_BAND_SCORES: &[(&str, f64)] = &[
    ("BAYES_00", -1.5),
    ("BAYES_05", -0.5),
    ("BAYES_20", 0.0),
    ("BAYES_40", 0.0),
    ("BAYES_50", 0.8),
    ("BAYES_60", 1.5),
    ("BAYES_80", 2.0),
    ("BAYES_95", 3.0),
    ("BAYES_99", 4.0),
    ("BAYES_999", 5.0),
];

impl Default for BayesConfig {
    fn default() -> Self {
        BayesConfig {
            model: None,
            min_spam: 200,
            min_ham: 200,
            bands: DEFAULT_BANDS
                .iter()
                .map(|&(id, below, score)| Band { id, below, score })
                .collect(),
            redis: None,
            autolearn: autolearn::Autolearn::default(),
        }
    }
}

impl BayesConfig {
    /// Whether the configuration uses the classifier (a model file or Redis storage), even
    /// while the model is missing or under-trained.
    pub fn configured(&self) -> bool {
        self.model.is_some() || self.redis.is_some()
    }

    /// The band a probability falls in.
    pub fn band(&self, p: f64) -> &Band {
        self.bands
            .iter()
            .find(|b| p < b.below)
            .unwrap_or(&self.bands[self.bands.len() - 1])
    }
}

/// Validates the section; errors are (key, message).
/// A relative model path is resolved against the configuration file's directory.
pub fn build(origin: &str, raw: RawBayes, errors: &mut dyn FnMut(&str, String)) -> BayesConfig {
    let mut c = BayesConfig {
        model: raw.model.map(|m| super::paths::resolve(origin, m)),
        ..BayesConfig::default()
    };
    c.redis = super::state::model_storage(raw.storage, raw.redis_key, raw.poll, errors);
    c.autolearn = autolearn::build(raw.autolearn, errors);
    if c.autolearn.enabled && !c.configured() {
        errors(
            "bayes.autolearn.enabled",
            "needs a model to learn into: set bayes.model (or bayes.storage: redis)".into(),
        );
    }
    c.min_spam = raw.min_spam.unwrap_or(c.min_spam);
    c.min_ham = raw.min_ham.unwrap_or(c.min_ham);
    for (id, score) in raw.scores {
        match c.bands.iter_mut().find(|b| b.id == id) {
            Some(b) if score.is_finite() => b.score = score,
            Some(_) => errors(
                &format!("bayes.scores.{id}"),
                "must be a finite number".into(),
            ),
            None => {
                let known: Vec<&str> = DEFAULT_BANDS.iter().map(|b| b.0).collect();
                errors(
                    &format!("bayes.scores.{id}"),
                    format!("unknown band `{id}` (known: {})", known.join(", ")),
                );
            }
        }
    }
    c
}

#[cfg(test)]
mod tests;
