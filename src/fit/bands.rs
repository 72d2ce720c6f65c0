//! The classifier's bands (`BAYES_xx` of the content, `BAYES_SENDER_xx` of the sender and
//! path) of each labelled message, from a model that never saw it. A model asked about its own training mail is far surer than on new mail; fitting the
//! band scores on such answers would give them weights they never earn in service.
//!
//! Messages fall into folds by content hash (as `moat learn --evaluate`). Without a held-out
//! fold, a message of fold j gets its band from the model of every other fold. When fold k is
//! held out for evaluation, its messages are judged by the model of the other folds, and a
//! training message of fold j by the model of the folds other than j and k: nothing the
//! evaluation judges ever reaches the fit, not even through the classifier.

use super::samples::Corpus;
use crate::bayes::Classifier;
use crate::bayes::model::{Class, Model};
use crate::config::bayes::BayesConfig;

/// A message's band of each opinion (content, sender and path); `None`: the classifier
/// had no opinion on that part.
pub type Opinions = [Option<&'static str>; 2];

/// Each sample's bands.
pub fn cross_fitted(
    corpus: &Corpus,
    folds: usize,
    held_out: Option<usize>,
    config: &BayesConfig,
) -> Vec<Opinions> {
    let mut full = Model::default();
    for s in &corpus.samples {
        let class = if s.spam { Class::Spam } else { Class::Ham };
        full.learn(s.hash, &s.tokens, class);
    }
    let fold: Vec<usize> = corpus
        .samples
        .iter()
        .map(|s| corpus.fold_of(s, folds))
        .collect();
    let mut out = vec![[None; 2]; corpus.samples.len()];
    for j in 0..folds {
        let mut model = full.clone();
        for (s, _) in corpus
            .samples
            .iter()
            .zip(&fold)
            .filter(|(_, f)| **f == j || Some(**f) == held_out)
        {
            model.forget(s.hash, &s.tokens);
        }
        let classifier = Classifier {
            model,
            config: config.clone(),
        };
        for (i, s) in corpus.samples.iter().enumerate() {
            // The held-out fold's own model is the one without it alone (j == k).
            if fold[i] == j {
                for f in classifier.findings_for(&s.tokens, s.sender) {
                    let sender = config.sender_bands.iter().any(|b| b.id == f.id);
                    out[i][sender as usize] = Some(band_id(config, &f.id));
                }
            }
        }
    }
    out
}

/// The static id of a band (findings own their id as a `String`).
fn band_id(config: &BayesConfig, id: &str) -> &'static str {
    config
        .all_bands()
        .find(|b| b.id == id)
        .map(|b| b.id)
        .unwrap_or("BAYES_50")
}

#[cfg(test)]
mod tests;
