//! The `bayes` section: the statistical classifier's model file, how much training it needs
//! before it speaks, and the score of each probability band of its two opinions: of what
//! the message says (`BAYES_00` … `BAYES_999`) and of who sent it by which path
//! (`BAYES_SENDER_00` … `BAYES_SENDER_999`).

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
    /// The bands of the opinion on the message's content (`BAYES_xx`).
    pub bands: Vec<Band>,
    /// The bands of the opinion on its sender and path (`BAYES_SENDER_xx`).
    pub sender_bands: Vec<Band>,
    /// The model lives in Redis instead of `model` (`bayes.storage: redis`).
    pub redis: Option<super::state::RedisModel>,
    /// `bayes.autolearn`: off unless enabled.
    pub autolearn: autolearn::Autolearn,
}

/// The bands and their default scores, fitted with the default pack's rules by `moat rules
/// fit --bayes` (prior zero) on the development folders (scripts/fit-default.sh, docs/rules.md "Fitted
/// scores"); config/moat.yaml repeats them. The last band's bound is above 1 so it includes 1.0.
pub const DEFAULT_BANDS: &[(&str, f64, f64)] = &[
    ("BAYES_00", 0.01, -1.58),
    ("BAYES_05", 0.05, -0.21),
    ("BAYES_20", 0.20, 0.5),
    ("BAYES_40", 0.40, 0.5),
    ("BAYES_50", 0.60, 0.5),
    ("BAYES_60", 0.80, 0.5),
    ("BAYES_80", 0.95, 2.6),
    ("BAYES_95", 0.99, 3.27),
    ("BAYES_99", 0.999, 4.44),
    ("BAYES_999", 1.01, 5.0),
];

/// The bands of the opinion on the sender and path, with their default scores, fitted with
/// the content's bands and the pack's rules (same command).
pub const DEFAULT_SENDER_BANDS: &[(&str, f64, f64)] = &[
    ("BAYES_SENDER_00", 0.01, -2.5),
    ("BAYES_SENDER_05", 0.05, -1.12),
    ("BAYES_SENDER_20", 0.20, -0.34),
    ("BAYES_SENDER_40", 0.40, 0.5),
    ("BAYES_SENDER_50", 0.60, 0.5),
    ("BAYES_SENDER_60", 0.80, 0.5),
    ("BAYES_SENDER_80", 0.95, 2.52),
    ("BAYES_SENDER_95", 0.99, 2.78),
    ("BAYES_SENDER_99", 0.999, 3.79),
    ("BAYES_SENDER_999", 1.01, 5.0),
];

/// The bands' hand scores, as chosen before any fit: what `moat rules fit` draws the band
/// scores towards and the direction it keeps (below zero: evidence of legitimate mail).
/// Both opinions start from the same judgement of how sure a probability is.
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
    ("BAYES_SENDER_00", -1.5),
    ("BAYES_SENDER_05", -0.5),
    ("BAYES_SENDER_20", 0.0),
    ("BAYES_SENDER_40", 0.0),
    ("BAYES_SENDER_50", 0.8),
    ("BAYES_SENDER_60", 1.5),
    ("BAYES_SENDER_80", 2.0),
    ("BAYES_SENDER_95", 3.0),
    ("BAYES_SENDER_99", 4.0),
    ("BAYES_SENDER_999", 5.0),
];

fn bands_of(table: &[(&'static str, f64, f64)]) -> Vec<Band> {
    table
        .iter()
        .map(|&(id, below, score)| Band { id, below, score })
        .collect()
}

impl Default for BayesConfig {
    fn default() -> Self {
        BayesConfig {
            model: None,
            min_spam: 200,
            min_ham: 200,
            bands: bands_of(DEFAULT_BANDS),
            sender_bands: bands_of(DEFAULT_SENDER_BANDS),
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

    /// The content band a probability falls in.
    pub fn band(&self, p: f64) -> &Band {
        band_of(&self.bands, p)
    }

    /// The sender-and-path band a probability falls in.
    pub fn sender_band(&self, p: f64) -> &Band {
        band_of(&self.sender_bands, p)
    }

    /// Every band of both opinions.
    pub fn all_bands(&self) -> impl Iterator<Item = &Band> {
        self.bands.iter().chain(&self.sender_bands)
    }

    /// The bands of both opinions, one list per opinion, each in order of probability.
    pub fn families(&self) -> [&[Band]; 2] {
        [&self.bands, &self.sender_bands]
    }
}

fn band_of(bands: &[Band], p: f64) -> &Band {
    bands
        .iter()
        .find(|b| p < b.below)
        .unwrap_or(&bands[bands.len() - 1])
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
        let all = c.bands.iter_mut().chain(c.sender_bands.iter_mut());
        match all.into_iter().find(|b| b.id == id) {
            Some(b) if score.is_finite() => b.score = score,
            Some(_) => errors(
                &format!("bayes.scores.{id}"),
                "must be a finite number".into(),
            ),
            None => {
                let known: Vec<&str> = DEFAULT_BANDS
                    .iter()
                    .chain(DEFAULT_SENDER_BANDS)
                    .map(|b| b.0)
                    .collect();
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
