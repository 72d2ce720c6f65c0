//! `moat scan --explain`: why a message got its score. Besides the findings themselves it
//! says where each score comes from (fitted, or the hand score of its rule file), which
//! findings were evidence of legitimate mail, and which of the message's own words and
//! headers pushed the classifier towards spam and towards ham.

use super::{Classifier, model::Model, shared::Handle, tokens};
use crate::cli::terminal::field;
use crate::config::Config;
use crate::config::bayes::HAND_BAND_SCORES;
use crate::verdict::Verdict;
use std::collections::HashMap;
use std::io::Write;

/// Clues shown on each side.
const SHOWN: usize = 8;

/// What `--explain` needs besides the verdict: the hand scores, and the classifier.
pub struct Explainer {
    /// Finding id → the score written in its rule file (or the band's hand score).
    hand: HashMap<String, f64>,
    /// `rules.scores`, when configured: its findings say so.
    site_scores: Option<(String, crate::rules::scores::ScoreTable)>,
    classifier: Handle,
}

/// A token of the message that the model knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Clue {
    pub token: String,
    pub probability: f64,
    pub spam: u32,
    pub ham: u32,
}

impl Explainer {
    pub fn new(config: &Config) -> Explainer {
        let mut hand: HashMap<String, f64> = HAND_BAND_SCORES
            .iter()
            .map(|(id, s)| (id.to_string(), *s))
            .collect();
        // The rules as the server compiles them; a broken rule file was already reported
        // when the configuration loaded, so here it only means fewer annotations.
        if let Ok(set) =
            crate::rules::check::load_for(&config.policy.rule_files, config.bayes.configured())
        {
            for r in set.rules() {
                hand.insert(r.id.clone(), r.hand_score);
            }
        }
        let site_scores = config.policy.scores_file.as_ref().map(|f| {
            (
                f.display().to_string(),
                crate::rules::scores::ScoreTable::clone(&config.policy.scores),
            )
        });
        Explainer {
            hand,
            site_scores,
            classifier: super::shared::handle(config),
        }
    }

    /// Where a finding's score comes from, for its line: `""` when it is the hand score.
    pub fn origin(&self, id: &str, score: f64) -> String {
        if let Some((file, table)) = &self.site_scores
            && table.get(id).is_some()
        {
            let hand = self
                .hand
                .get(id)
                .map(|h| format!(", hand {h}"))
                .unwrap_or_default();
            return format!(" [{}{hand}]", field(file));
        }
        match self.hand.get(id) {
            Some(h) if (h - score).abs() > 1e-9 => format!(" [fitted, hand {h}]"),
            _ => String::new(),
        }
    }

    /// The lines after the findings: ham evidence and the classifier's clues.
    pub fn write(&self, out: &mut dyn Write, raw: &[u8], v: &Verdict) -> std::io::Result<()> {
        let ham: Vec<String> = v
            .findings
            .iter()
            .filter(|f| f.score < 0.0 || self.hand.get(&f.id).is_some_and(|h| *h < 0.0))
            .map(|f| format!("{} {:.2}", f.id, f.score))
            .collect();
        let ham = if ham.is_empty() {
            "none".to_string()
        } else {
            ham.join(", ")
        };
        writeln!(out, "  evidence of legitimate mail: {ham}")?;
        let Some(classifier) = self.classifier.get() else {
            return writeln!(out, "  classifier: off (no trained model loaded)");
        };
        let (spam, ham) = clues(&classifier, raw, SHOWN);
        if spam.is_empty() && ham.is_empty() {
            return writeln!(out, "  classifier: no decisive token known");
        }
        for (side, list) in [("spam", spam), ("ham", ham)] {
            let text: Vec<String> = list.iter().map(Clue::short).collect();
            writeln!(
                out,
                "  classifier, strongest for {side}: {}",
                if text.is_empty() {
                    "none".to_string()
                } else {
                    field(&text.join(", ")).into_owned()
                }
            )?;
        }
        Ok(())
    }
}

impl Clue {
    /// `"viagra" 0.99 (41 spam, 0 ham)`.
    fn short(&self) -> String {
        format!(
            "{:?} {:.2} ({} spam, {} ham)",
            self.token, self.probability, self.spam, self.ham
        )
    }
}

/// The message's decisive tokens the model knows, the strongest first: towards spam, and
/// towards ham; at most `n` each.
pub fn clues(classifier: &Classifier, raw: &[u8], n: usize) -> (Vec<Clue>, Vec<Clue>) {
    let facts = super::learn::facts_of(raw);
    let mut known: Vec<Clue> = tokens::named(&facts)
        .into_iter()
        .filter_map(|(hash, token)| {
            let (probability, spam, ham) = classifier.model.clue(hash)?;
            Model::decisive(probability).then_some(Clue {
                token,
                probability,
                spam,
                ham,
            })
        })
        .collect();
    // Most decisive first; among equals, the better attested token.
    known.sort_by(|a, b| {
        (b.probability - 0.5)
            .abs()
            .total_cmp(&(a.probability - 0.5).abs())
            .then((b.spam + b.ham).cmp(&(a.spam + a.ham)))
            .then(a.token.cmp(&b.token))
    });
    let spam = known
        .iter()
        .filter(|c| c.probability > 0.5)
        .take(n)
        .cloned()
        .collect();
    let ham = known
        .iter()
        .filter(|c| c.probability < 0.5)
        .take(n)
        .cloned()
        .collect();
    (spam, ham)
}

#[cfg(test)]
mod tests;
