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
mod tests {
    use super::*;
    use crate::config::action::Action;

    fn config(extra: &str) -> Config {
        let yaml = format!(
            "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n{extra}"
        );
        Config::from_yaml(&yaml, "t.yaml").unwrap()
    }

    fn rules(text: &str) -> RuleSet {
        let source = crate::rules::Source {
            origin: "r.yaml".into(),
            text: text.into(),
        };
        RuleSet::compile(vec![source]).unwrap()
    }

    const RULES: &str = "rules:\n  - id: CHEAP\n    description: d\n    target: subject\n    regex: cheap\n    score: 2.5\n  - id: EICAR_LIKE\n    description: d\n    target: body\n    regex: eicar\n    score: 0\n    force: reject\n  - id: __PART\n    description: d\n    target: body\n    regex: part\n    score: 1\n";

    #[test]
    fn rules_score_and_force_are_table_entries() {
        let s = Scoring::build(&config(""), &rules(RULES), None, None);
        let t = s.now();
        let cheap = t.get("CHEAP").unwrap();
        assert_eq!(
            (cheap.stage, cheap.score, cheap.force),
            (Stage::Data, 2.5, None)
        );
        assert_eq!(t.get("EICAR_LIKE").unwrap().force, Some(Action::Reject));
        assert!(t.get("__PART").is_none(), "building blocks report nothing");
        assert_eq!(
            t.get("SPF_FAIL").unwrap().score,
            3.0,
            "the config's entries kept"
        );
    }

    #[test]
    fn score_file_has_the_last_word_over_rule_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.yaml"), "scores:\n  CHEAP: 0.5\n").unwrap();
        let mut c = config("");
        c.policy.scores = Arc::new(ScoreTable::load(&dir.path().join("s.yaml")).unwrap());
        let pack = ScoreTable::parse("scores:\n  CHEAP: 7\n", "p.yaml").unwrap();
        let handle = Arc::new(Handle::Fixed(None));
        let s = Scoring::build(&c, &rules(RULES), Some(&pack), Some(handle));
        assert_eq!(s.now().get("CHEAP").unwrap().score, 0.5);
        assert_eq!(s.table().get("CHEAP").unwrap().score, 0.5);
        let e = s.now().get("EICAR_LIKE").unwrap();
        assert_eq!(e.force, Some(Action::Reject));
    }

    /// With a classifier configured but no model loaded, the pack's rules-alone scores are in
    /// force; the rules' own entries otherwise.
    #[test]
    fn rules_alone_scores_while_no_model_is_loaded() {
        let pack = ScoreTable::parse("scores:\n  CHEAP: 7\n", "p.yaml").unwrap();
        let off = Arc::new(Handle::Fixed(None));
        let s = Scoring::build(&config(""), &rules(RULES), Some(&pack), Some(off));
        assert_eq!(s.now().get("CHEAP").unwrap().score, 7.0);
        assert_eq!(s.table().get("CHEAP").unwrap().score, 2.5);
        let s = Scoring::build(&config(""), &rules(RULES), Some(&pack), None);
        assert_eq!(
            s.now().get("CHEAP").unwrap().score,
            2.5,
            "no classifier configured"
        );
    }

    /// A rule cannot take over an id the configuration decides (e.g. `auth.policy`).
    #[test]
    fn configured_entries_beat_a_rule_of_the_same_id() {
        let c = config("auth:\n  policy:\n    SPF_FAIL: {action: tempfail}\n");
        let r = rules(
            "rules:\n  - id: SPF_FAIL\n    description: d\n    target: body\n    regex: x\n    score: 9\n",
        );
        let s = Scoring::build(&c, &r, None, None);
        let e = s.now().get("SPF_FAIL").unwrap();
        assert_eq!(e.force, Some(Action::Tempfail));
        assert_ne!(e.score, 9.0);
    }
}
