//! The runtime's policy table: the configuration's table (`crate::config::stages`) with the
//! loaded rules added, so that one table answers "what score and action does finding X get
//! at stage Y" for every finding — rules and classifier bands included. The rule files feed
//! it (`score:`, `force:`; the default pack's fitted scores), `rules.scores` has the last
//! word on every score, and the rules check only reports which rules fired.
//!
//! The default pack has two sets of fitted scores: beside the classifier, and for the rules
//! alone. With a classifier configured, both tables are built at load time and the one in
//! force is picked per message by whether a model is loaded (`Scoring::now`): a model that
//! is configured but not trained yet, damaged, or not yet in Redis leaves the rules to carry
//! the verdict alone, with the scores fitted for that.

use crate::bayes::shared::Handle;
use crate::config::Config;
use crate::config::scores::ScoreTable;
use crate::config::stages::{Entry, PolicyTable, Stage};
use crate::rules::RuleSet;
use std::sync::Arc;

/// Every finding's entry for one runtime.
pub struct Scoring {
    /// The table in force while a classifier model is loaded (or none is configured).
    with_classifier: PolicyTable,
    /// The table while no model is loaded: the default pack's rules-alone scores. `None`
    /// when they would not differ (no classifier configured, or the pack not loaded).
    alone: Option<PolicyTable>,
    /// Whether a model is loaded right now (shared with the rules check).
    classifier: Option<Arc<Handle>>,
}

impl Scoring {
    /// The configuration's table alone: no rules loaded (tests, and runtimes without rules).
    pub fn of_config(config: &Config) -> Scoring {
        Scoring {
            with_classifier: config.table.clone(),
            alone: None,
            classifier: None,
        }
    }

    /// The configuration's table with every rule of `rules` added, and the rules-alone
    /// variant when the default pack runs beside a configured classifier (`classifier`).
    pub fn build(
        config: &Config,
        rules: &RuleSet,
        pack_alone: Option<&ScoreTable>,
        classifier: Option<Arc<Handle>>,
    ) -> Scoring {
        let sections = PolicyTable::of_sections(config);
        let scores = &config.policy.scores;
        let with_classifier = with_rules(&sections, rules, None, scores);
        let alone = match (pack_alone, &classifier) {
            (Some(pack), Some(_)) => Some(with_rules(&sections, rules, Some(pack), scores)),
            _ => None,
        };
        Scoring {
            with_classifier,
            alone,
            classifier,
        }
    }

    /// The table for the message being judged now.
    pub fn now(&self) -> &PolicyTable {
        match (&self.alone, &self.classifier) {
            (Some(alone), Some(handle)) if handle.get().is_none() => alone,
            _ => &self.with_classifier,
        }
    }

    /// The table while a classifier model is loaded (what `check-config`-style listings and
    /// the stages before DATA see: rule entries are decided at the end of DATA only).
    pub fn table(&self) -> &PolicyTable {
        &self.with_classifier
    }
}

/// `sections` (the configuration's entries) plus one entry per rule that reports findings
/// (`__` rules are building blocks): its `score:` (the default pack's fitted score, or
/// `pack` when it names the rule) and `force:`; then `scores` (`rules.scores`) over all.
/// An id the configuration's sections name (an `auth.policy` entry, a malware kind) keeps
/// the configuration's entry: a rule file cannot change what the configuration decides.
fn with_rules(
    sections: &PolicyTable,
    rules: &RuleSet,
    pack: Option<&ScoreTable>,
    scores: &ScoreTable,
) -> PolicyTable {
    let mut table = sections.clone();
    for rule in rules.rules().iter().filter(|r| !r.id.starts_with("__")) {
        if sections.get(&rule.id).is_some() {
            continue;
        }
        let entry = Entry {
            stage: Stage::Data,
            score: pack.and_then(|p| p.get(&rule.id)).unwrap_or(rule.score),
            force: rule.force,
        };
        table.set(rule.id.clone(), entry);
    }
    table.overlay_scores(scores);
    table
}

#[cfg(test)]
mod tests;
