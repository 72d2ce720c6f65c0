//! The statistical classifier: token counts learned from spam and ham (`model`), tokens
//! from the rules engine's parsed message (`tokens`), a checked model file (`store`), the
//! BAYES_xx and BAYES_SENDER_xx findings (`Classifier`), and `moat learn` (`learn`, `imap`).

pub mod autolearn;
pub mod command;
pub mod explain;
pub mod imap;
pub mod imap_tls;
pub mod learn;
pub mod model;
pub mod shared;
pub mod store;
pub mod tokens;
pub mod watch;

use crate::checks::Finding;
use crate::config::bayes::BayesConfig;
use crate::rules::facts::Facts;
use model::Model;
use std::sync::Arc;

/// A loaded model with its configuration; shared read-only by every session.
#[derive(Debug)]
pub struct Classifier {
    pub model: Model,
    pub config: BayesConfig,
}

impl Classifier {
    /// The classifier's findings for a message: its opinion of the content (`BAYES_xx`)
    /// and of the sender and path (`BAYES_SENDER_xx`), each only when the model knows
    /// enough of that part's tokens to have one.
    pub fn findings(&self, facts: &Facts) -> Vec<Finding> {
        let (tokens, sender) = tokens::split(facts);
        self.findings_for(&tokens, sender)
    }

    /// The findings for tokens as `tokens::split` gives them (`sender`: how many at the
    /// front are of the sender and path).
    pub fn findings_for(&self, tokens: &[u64], sender: usize) -> Vec<Finding> {
        let (path, content) = tokens.split_at(sender.min(tokens.len()));
        let mut out = Vec::with_capacity(2);
        if let Some(p) = self.model.classify(content) {
            out.push(self.finding(self.config.band(p).id, self.config.band(p).score, p, ""));
        }
        if let Some(p) = self.model.classify(path) {
            let band = self.config.sender_band(p);
            out.push(self.finding(band.id, band.score, p, " of the sender and path"));
        }
        out
    }

    fn finding(&self, id: &str, score: f64, p: f64, what: &str) -> Finding {
        Finding {
            id: id.to_string(),
            score,
            reason: format!(
                "bayes spam probability{what} {p:.4} (model: {} spam, {} ham)",
                self.model.nspam, self.model.nham
            ),
            force: None,
        }
    }

    /// Whether the model has learned enough of both classes to be trusted.
    pub fn trained(model: &Model, config: &BayesConfig) -> bool {
        model.nspam >= config.min_spam && model.nham >= config.min_ham
    }

    /// The classifier over a loaded model, or `None` (logged) when it has too little training.
    /// `source` names where the model came from (a file, or a Redis key and version).
    pub fn usable(model: Model, config: &BayesConfig, source: &str) -> Option<Arc<Classifier>> {
        if !Classifier::trained(&model, config) {
            tracing::warn!(
                model = source,
                spam = model.nspam,
                ham = model.nham,
                min_spam = config.min_spam,
                min_ham = config.min_ham,
                "bayes model has too little training: classifier off"
            );
            return None;
        }
        tracing::info!(
            model = source,
            spam = model.nspam,
            ham = model.nham,
            tokens = model.tokens.len(),
            "bayes model loaded"
        );
        Some(Arc::new(Classifier {
            model,
            config: config.clone(),
        }))
    }
}

/// The classifier for a configuration. Never fails the configuration: a missing, corrupt or
/// under-trained model is logged and the classifier stays silent (Moat runs without it).
pub fn from_config(config: &BayesConfig) -> Option<Arc<Classifier>> {
    let path = config.model.as_ref()?;
    let model = match store::load(path) {
        Ok(Some(m)) => m,
        Ok(None) => {
            tracing::warn!(model = %path.display(), "bayes model missing: classifier off until `moat learn` creates it");
            return None;
        }
        Err(e) => {
            tracing::error!("{e}; classifier off");
            return None;
        }
    };
    Classifier::usable(model, config, &path.display().to_string())
}

#[cfg(test)]
mod tests;
