//! `moat rules fit --evaluate`: k-fold cross-validation. For each fold, the scores (and the
//! classifier, when its bands are fitted) are learned from the other folds only, then the
//! fold is judged twice: with today's scores ("before") and with the fold's fit ("after").

use super::samples::Corpus;
use super::{Catalog, Options};
use crate::config::Config;
use crate::rules::RuleSet;
use crate::verdict::{Action, Thresholds};

/// Counts of one folder (or of all spam / all ham) under one set of scores.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Tally {
    pub messages: usize,
    /// Any action but accept.
    pub flagged: usize,
    /// Quarantine or stronger: the message does not reach the mailbox.
    pub held: usize,
}

impl Tally {
    fn count(&mut self, action: Action) {
        self.messages += 1;
        self.flagged += (action != Action::Accept) as usize;
        self.held += (action >= Action::Quarantine) as usize;
    }

    pub fn percent(&self) -> f64 {
        100.0 * self.flagged as f64 / self.messages.max(1) as f64
    }
}

/// Per folder, before and after.
#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    pub before: Vec<Tally>,
    pub after: Vec<Tally>,
    /// Ham flagged and spam missed after the fit: file, score, findings.
    pub mistakes: Vec<String>,
}

impl Evaluation {
    /// All spam (`true`) or all ham folders together.
    pub fn total(&self, spam: bool, corpus: &Corpus, after: bool) -> Tally {
        let list = if after { &self.after } else { &self.before };
        let mut t = Tally::default();
        for (tally, (_, is_spam)) in list.iter().zip(&corpus.folders) {
            if *is_spam == spam {
                t.messages += tally.messages;
                t.flagged += tally.flagged;
                t.held += tally.held;
            }
        }
        t
    }
}

/// Cross-validates the fit; progress on stderr.
pub fn run(
    corpus: &Corpus,
    rules: Option<&RuleSet>,
    config: &Config,
    opts: &Options,
) -> Evaluation {
    let thresholds: &Thresholds = &config.policy.thresholds;
    let folds = opts.folds.max(2);
    let mut ev = Evaluation {
        before: vec![Tally::default(); corpus.folders.len()],
        after: vec![Tally::default(); corpus.folders.len()],
        mistakes: Vec::new(),
    };
    for k in 0..folds {
        let bands = if opts.bands {
            super::bands::cross_fitted(corpus, folds, Some(k), &config.bayes)
        } else {
            Vec::new()
        };
        let catalog = Catalog::build(corpus, &bands, rules, config);
        let in_fold = |i: usize| corpus.fold_of(&corpus.samples[i], folds) == k;
        let fitted = catalog.fit(corpus, &bands, &|i| !in_fold(i), thresholds, opts);
        let old = catalog.old_scores();
        for (i, s) in corpus
            .samples
            .iter()
            .enumerate()
            .filter(|(i, _)| in_fold(*i))
        {
            let band = bands.get(i).copied().unwrap_or_default();
            ev.before[s.folder].count(catalog.action(s, band, &old, thresholds));
            let (action, line) = catalog.explain(s, band, &fitted, thresholds);
            ev.after[s.folder].count(action);
            if (action != Action::Accept) != s.spam {
                ev.mistakes.push(format!("{} {line}", s.path.display()));
            }
        }
        eprintln!("fold {}/{folds} done", k + 1);
    }
    ev
}

/// The table `--evaluate` prints.
pub fn report(ev: &Evaluation, corpus: &Corpus, thresholds: &Thresholds) -> String {
    let mut out = String::new();
    let line = |name: &str, b: Tally, a: Tally, spam: bool| {
        let what = if spam { "caught" } else { "flagged" };
        format!(
            "{name:<40} {:>5}  {what:<7} before {:6.2}% ({:>4}, held {:>3})  after {:6.2}% ({:>4}, held {:>3})\n",
            b.messages,
            b.percent(),
            b.flagged,
            b.held,
            a.percent(),
            a.flagged,
            a.held
        )
    };
    for (i, (name, spam)) in corpus.folders.iter().enumerate() {
        out += &line(name, ev.before[i], ev.after[i], *spam);
    }
    for spam in [true, false] {
        let name = if spam { "all spam (recall)" } else { "all ham" };
        let (b, a) = (ev.total(spam, corpus, false), ev.total(spam, corpus, true));
        out += &line(name, b, a, spam);
    }
    out += &format!(
        "(flagged = any action but accept, at score {}; held = quarantine or stronger)\n",
        thresholds.required()
    );
    out
}
