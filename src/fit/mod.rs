//! `moat rules fit`: scores learned from labelled mail. Each message goes through the
//! server's judgement (`samples`); the findings become the features of a logistic regression
//! in Moat's own units (`logistic`), with sign constraints and a cap; `evaluate` measures it
//! by k-fold cross-validation with the fit inside each fold. Why logistic regression rather
//! than SpamAssassin's perceptron: docs/rules.md "Fitted scores".

pub mod bands;
pub mod command;
pub mod evaluate;
pub mod logistic;
pub mod samples;
#[cfg(test)]
mod tests;

use crate::checks::Finding;
use crate::config::Config;
use crate::rules::RuleSet;
use crate::verdict::{self, Action, Thresholds};
use bands::Opinions;
use logistic::{Param, Row};
use samples::Corpus;
use std::collections::HashMap;

/// The probabilities between which the classifier is unsure (`Options::unsure_cap`).
const UNSURE: (f64, f64) = (0.2, 0.8);

/// How the fit is done; the defaults are what the default pack was fitted with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub folds: usize,
    /// Largest score of spam evidence; ham evidence stays above `-cap / 2`, so that no
    /// single sign of legitimate mail can outweigh a clear sign of spam.
    pub cap: f64,
    /// Pull of every score towards its hand score.
    pub l2: f64,
    /// How much more a legitimate message counts than a spam: the whole ham weighs
    /// `ham_cost` times the whole spam, whatever their numbers.
    pub ham_cost: f64,
    /// Fit the classifier's bands too (from models trained on the labelled mail).
    pub bands: bool,
    /// Draw scores towards zero instead of towards the hand scores: a finding must then
    /// earn every point from the mail (rules the mail never shows get 0).
    pub prior_zero: bool,
    /// Most that all findings of rules marked `bulk: true` may add together: traits that
    /// legitimate newsletters, receipts and offers share with spam. A fit can only learn what
    /// its ham shows; without this cap, ham with no commercial mail makes every such trait
    /// look like spam evidence, and unseen newsletters are marked for their form alone.
    pub bulk_cap: f64,
    /// Largest score, either way, of a band where the classifier is unsure (probability
    /// between 0.2 and 0.8): mail of a kind it never learned lands there, and "I do not
    /// know" must not carry a message over the threshold.
    pub unsure_cap: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            folds: 10,
            cap: 5.0,
            l2: 1.0,
            ham_cost: 10.0,
            bands: false,
            prior_zero: true,
            bulk_cap: 1.5,
            unsure_cap: 0.5,
        }
    }
}

/// What the fit knows of one finding id.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: String,
    /// The author's score: its sign is the direction the fit keeps; it is also the prior.
    pub hand: f64,
    /// The score findings carry today (a score file's, else the configured one).
    pub old: f64,
    /// Forced findings (GTUBE …) keep their score: the action does not depend on it.
    pub fixed: bool,
    /// A classifier band: it says how sure the classifier is, so its hand score
    /// (`HAND_BAND_SCORES`) is its prior whatever `prior_zero` says.
    pub band: bool,
    /// The first (least spammy) band of its opinion: the bands of each opinion are kept in
    /// order among themselves only.
    pub first_band: bool,
    /// A band where the classifier is unsure (0.2 ≤ p < 0.8): `Options::unsure_cap`.
    pub unsure: bool,
    /// A rule marked `bulk: true`: `Options::bulk_cap`.
    pub bulk: bool,
    pub hits_spam: usize,
    pub hits_ham: usize,
}

/// Every finding id seen in the labelled mail (and every band when they are fitted).
#[derive(Debug, Default)]
pub struct Catalog {
    pub features: Vec<Feature>,
    index: HashMap<String, usize>,
}

impl Catalog {
    pub fn build(
        corpus: &Corpus,
        bands: &[Opinions],
        rules: Option<&RuleSet>,
        config: &Config,
    ) -> Catalog {
        let mut c = Catalog::default();
        let band_score = |id: &str| {
            config
                .bayes
                .all_bands()
                .find(|b| b.id == id)
                .map(|b| b.score)
        };
        let table = &config.policy.scores;
        if !bands.is_empty() {
            let hand = |id: &str| {
                let mut known = crate::config::bayes::HAND_BAND_SCORES.iter();
                known.find(|h| h.0 == id).map(|h| h.1)
            };
            for family in config.bayes.families() {
                let mut from = 0.0;
                for b in family {
                    let prior = hand(b.id).unwrap_or(b.score);
                    c.add(b.id, prior, table.get(b.id).unwrap_or(b.score), false);
                    let f = c.features.last_mut().expect("just added");
                    f.band = true;
                    f.first_band = from == 0.0;
                    f.unsure = from >= UNSURE.0 - 1e-9 && b.below <= UNSURE.1 + 1e-9;
                    from = b.below;
                }
            }
        }
        // Every rule, also those the mail never shows: they keep their hand score, and the
        // score file still names them.
        for r in rules.map(|r| r.rules()).unwrap_or_default() {
            if !r.id.starts_with("__") {
                c.add(
                    &r.id,
                    r.hand_score,
                    table.get(&r.id).unwrap_or(r.score),
                    r.force.is_some(),
                );
                c.features.last_mut().expect("just added").bulk = r.bulk && r.hand_score > 0.0;
            }
        }
        for s in &corpus.samples {
            for f in &s.findings {
                let (hand, now) = match rules.and_then(|r| r.rule(&f.id)) {
                    Some(rule) => (rule.hand_score, rule.score),
                    None => {
                        let own = band_score(&f.id).unwrap_or(f.score);
                        (own, own)
                    }
                };
                c.add(
                    &f.id,
                    hand,
                    table.get(&f.id).unwrap_or(now),
                    f.force.is_some(),
                );
            }
        }
        for (s, band) in corpus
            .samples
            .iter()
            .zip(bands.iter().chain(std::iter::repeat(&[None; 2])))
        {
            let ids = s.findings.iter().map(|f| f.id.as_str());
            let ids = ids.chain(band.iter().flatten().copied());
            let mut seen: Vec<&str> = ids.collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                let f = &mut c.features[c.index[id]];
                if s.spam {
                    f.hits_spam += 1;
                } else {
                    f.hits_ham += 1;
                }
            }
        }
        c
    }

    fn add(&mut self, id: &str, hand: f64, old: f64, fixed: bool) {
        if let Some(&i) = self.index.get(id) {
            self.features[i].fixed |= fixed;
            return;
        }
        self.index.insert(id.to_string(), self.features.len());
        self.features.push(Feature {
            id: id.to_string(),
            hand,
            old,
            fixed,
            band: false,
            first_band: false,
            unsure: false,
            bulk: false,
            hits_spam: 0,
            hits_ham: 0,
        });
    }

    pub fn old_scores(&self) -> Vec<f64> {
        self.features.iter().map(|f| f.old).collect()
    }

    /// Bounds and prior of each score: spam evidence in [0, cap], ham evidence in
    /// [-cap/2, 0], findings without a direction (hand score 0) in between; fixed ones stay.
    /// Bands where the classifier is unsure are held within ±unsure_cap, and no band scores
    /// less than the band below it; rules marked `bulk` form group 0, whose scores together
    /// stay within `bulk_cap`.
    fn params(&self, opts: &Options) -> Vec<Param> {
        let (cap, prior_zero) = (opts.cap, opts.prior_zero);
        // Bands come first, in the configuration's order of probability.
        let mut previous_band = None;
        self.features
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let (lower, upper) = if f.fixed {
                    (f.old, f.old)
                } else if f.unsure {
                    (-opts.unsure_cap, opts.unsure_cap)
                } else if f.hand > 0.0 {
                    (0.0, cap)
                } else if f.hand < 0.0 {
                    (-cap / 2.0, 0.0)
                } else {
                    (-cap / 2.0, cap)
                };
                // Zero prior: a score is earned from the mail; a finding the mail never
                // shows has no evidence either way and keeps the author's estimate. A band
                // says how sure the classifier is: its hand score is a fair prior.
                let unseen = f.hits_spam + f.hits_ham == 0;
                let prior = match (f.fixed, prior_zero && !unseen && !f.band) {
                    (true, _) => f.old,
                    (false, true) => 0.0,
                    (false, false) => f.hand,
                };
                Param {
                    lower,
                    upper,
                    prior: prior.clamp(lower, upper),
                    group: (f.bulk && !f.fixed).then_some(0),
                    not_below: match (f.band, f.first_band) {
                        (true, true) => {
                            previous_band = Some(j);
                            None
                        }
                        (true, false) => previous_band.replace(j),
                        (false, _) => None,
                    },
                }
            })
            .collect()
    }

    /// One sample's features: (index, count) of each finding and its bands.
    fn features_of(&self, s: &samples::Sample, bands: Opinions) -> Vec<(usize, f64)> {
        let mut x: Vec<(usize, f64)> = Vec::new();
        let ids = s.findings.iter().map(|f| f.id.as_str());
        let ids = ids.chain(bands.into_iter().flatten());
        for id in ids {
            let j = self.index[id];
            match x.iter_mut().find(|(k, _)| *k == j) {
                Some(e) => e.1 += 1.0,
                None => x.push((j, 1.0)),
            }
        }
        x
    }

    /// Fits the scores on the samples `train` selects.
    pub fn fit(
        &self,
        corpus: &Corpus,
        bands: &[Opinions],
        train: &dyn Fn(usize) -> bool,
        thresholds: &Thresholds,
        opts: &Options,
    ) -> Vec<f64> {
        let chosen: Vec<usize> = (0..corpus.samples.len()).filter(|&i| train(i)).collect();
        let nspam = chosen
            .iter()
            .filter(|&&i| corpus.samples[i].spam)
            .count()
            .max(1);
        let nham = (chosen.len() - nspam).max(1);
        let ham_weight = opts.ham_cost * nspam as f64 / nham as f64;
        let rows: Vec<Row> = chosen
            .iter()
            .map(|&i| {
                let s = &corpus.samples[i];
                Row {
                    spam: s.spam,
                    weight: if s.spam { 1.0 } else { ham_weight },
                    offset: 0.0,
                    x: self.features_of(s, bands.get(i).copied().unwrap_or_default()),
                }
            })
            .collect();
        let settings = logistic::Settings {
            threshold: thresholds.required().min(1e6),
            l2: opts.l2,
            ..Default::default()
        };
        let fitted = logistic::fit(&self.params(opts), &rows, &settings, &[opts.bulk_cap]);
        // Two decimals are what a score file shows and all the precision scores need.
        fitted.iter().map(|w| (w * 100.0).round() / 100.0).collect()
    }

    /// The action a sample gets with the given scores (forced actions included).
    pub fn action(
        &self,
        s: &samples::Sample,
        bands: Opinions,
        scores: &[f64],
        thresholds: &Thresholds,
    ) -> Action {
        self.verdict(s, bands, scores, thresholds).action
    }

    /// The action, and `score=S tests=ID:score,…` for listing mistakes.
    pub fn explain(
        &self,
        s: &samples::Sample,
        bands: Opinions,
        scores: &[f64],
        thresholds: &Thresholds,
    ) -> (Action, String) {
        let v = self.verdict(s, bands, scores, thresholds);
        let tests: Vec<String> = v
            .findings
            .iter()
            .map(|f| format!("{}:{}", f.id, f.score))
            .collect();
        let line = format!(
            "{} score={:.2} {}",
            v.action.as_str(),
            v.score,
            tests.join(",")
        );
        (v.action, line)
    }

    fn verdict(
        &self,
        s: &samples::Sample,
        bands: Opinions,
        scores: &[f64],
        thresholds: &Thresholds,
    ) -> verdict::Verdict {
        let mut findings: Vec<Finding> = s.findings.clone();
        for f in &mut findings {
            f.score = scores[self.index[&f.id]];
        }
        for b in bands.into_iter().flatten() {
            findings.push(Finding {
                id: b.to_string(),
                score: scores[self.index[b]],
                reason: String::new(),
                force: None,
            });
        }
        verdict::decide(findings, thresholds)
    }
}
