//! `moat learn`: train the model from stored messages (files, directories, Maildirs, mbox
//! files: `crate::message::mailstore`), and `--evaluate`: k-fold cross-validation of the classifier, alone and with the rules.

use super::model::{Class, Learned, Model};
use super::{Classifier, store, tokens};
use crate::checks::Finding;
use crate::config::bayes::BayesConfig;
use crate::rules::RuleSet;
use crate::rules::facts::{Envelope, Facts};
use crate::verdict::{self, Action, Thresholds};
use std::path::{Path, PathBuf};

pub use crate::message::mailstore::message_files;

/// Facts of a stored message (an mbox `From ` line is skipped), with a neutral envelope:
/// the classifier looks at content only.
pub fn facts_of(raw: &[u8]) -> Facts {
    let raw = match raw.strip_prefix(b"From ") {
        Some(rest) => memchr::memchr(b'\n', rest).map_or(&[][..], |i| &rest[i + 1..]),
        None => raw,
    };
    let env = Envelope {
        client_ip: [127, 0, 0, 1].into(),
        helo: String::new(),
        mail_from: String::new(),
        rcpt_to: Vec::new(),
    };
    Facts::extract(raw, &env, crate::rules::check::now_unix())
}

/// Hash that identifies a message for de-duplication: its bytes, line endings normalised
/// (the same message read from a file and over IMAP may differ in CRLF vs LF).
pub fn message_hash(raw: &[u8]) -> u64 {
    let normal: Vec<u8> = raw.iter().copied().filter(|b| *b != b'\r').collect();
    tokens::fnv1a(&normal)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub new: usize,
    pub known: usize,
    pub moved: usize,
}

impl Tally {
    pub fn add(&mut self, l: Learned) {
        match l {
            Learned::New => self.new += 1,
            Learned::AlreadyKnown => self.known += 1,
            Learned::Relearned => self.moved += 1,
        }
    }
}

/// Learns one raw message.
pub fn learn_one(model: &mut Model, raw: &[u8], class: Class) -> Learned {
    let t = tokens::tokens(&facts_of(raw));
    model.learn(message_hash(raw), &t, class)
}

/// Learns every file as `class`, printing progress to stderr every 500 messages.
pub fn learn_files(model: &mut Model, files: &[PathBuf], class: Class) -> (Tally, usize) {
    let (mut tally, mut errors) = (Tally::default(), 0);
    for (n, f) in files.iter().enumerate() {
        match std::fs::read(f) {
            // An mbox file is learned message by message.
            Ok(bytes) => {
                for m in crate::message::mailstore::messages(bytes) {
                    tally.add(learn_one(model, &m.raw, class));
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                errors += 1;
            }
        }
        if (n + 1) % 500 == 0 {
            eprintln!("learned {}/{} {class:?}", n + 1, files.len());
        }
    }
    (tally, errors)
}

/// Loads the model at `path` (empty when missing), for adding to it.
pub fn open(path: &Path) -> Result<Model, store::StoreError> {
    Ok(store::load(path)?.unwrap_or_default())
}

/// One message of an evaluation: its tokens and the rules' findings.
struct Sample {
    spam: bool,
    hash: u64,
    tokens: Vec<u64>,
    /// How many of `tokens`, at the front, are of the sender and path (`tokens::split`).
    sender: usize,
    rules: Vec<Finding>,
}

/// Recall and false positives of one detector over the evaluation.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rates {
    pub spam: usize,
    pub caught: usize,
    pub ham: usize,
    pub false_positives: usize,
}

impl Rates {
    fn count(&mut self, spam: bool, flagged: bool) {
        if spam {
            self.spam += 1;
            self.caught += flagged as usize;
        } else {
            self.ham += 1;
            self.false_positives += flagged as usize;
        }
    }

    pub fn line(&self, name: &str) -> String {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        format!(
            "{name:<14} spam recall {:6.2}% ({}/{})  ham false positives {:5.2}% ({}/{})",
            pct(self.caught, self.spam),
            self.caught,
            self.spam,
            pct(self.false_positives, self.ham),
            self.false_positives,
            self.ham
        )
    }
}

/// Results of `evaluate`: bayes alone, rules alone, both (a message counts as flagged when
/// its verdict is anything but accept).
#[derive(Debug, Default)]
pub struct Evaluation {
    pub bayes: Rates,
    pub rules: Rates,
    pub combined: Rates,
}

/// k-fold cross-validation: every message is classified by a model trained on the other
/// k-1 folds. Folds are assigned by message hash, so runs are repeatable.
pub fn evaluate(
    spam: &[PathBuf],
    ham: &[PathBuf],
    folds: usize,
    rules: Option<&RuleSet>,
    config: &BayesConfig,
    thresholds: &Thresholds,
) -> Evaluation {
    let mut samples = Vec::new();
    for (files, is_spam) in [(spam, true), (ham, false)] {
        for f in files {
            let Ok(bytes) = std::fs::read(f) else {
                eprintln!("{}: unreadable, skipped", f.display());
                continue;
            };
            for m in crate::message::mailstore::messages(bytes) {
                let facts = facts_of(&m.raw);
                let (tokens, sender) = tokens::split(&facts);
                samples.push(Sample {
                    spam: is_spam,
                    hash: message_hash(&m.raw),
                    tokens,
                    sender,
                    rules: rules.map(|r| r.evaluate(&facts)).unwrap_or_default(),
                });
            }
        }
    }
    let class = |s: &Sample| if s.spam { Class::Spam } else { Class::Ham };
    let mut full = Model::default();
    for s in &samples {
        full.learn(s.hash, &s.tokens, class(s));
    }
    let flagged =
        |findings: Vec<Finding>| verdict::decide(findings, thresholds).action != Action::Accept;
    let mut ev = Evaluation::default();
    for k in 0..folds.max(2) {
        let in_fold = |s: &Sample| (s.hash % folds.max(2) as u64) as usize == k;
        // The model of the other folds: the full model minus this fold.
        let mut model = full.clone();
        for s in samples.iter().filter(|s| in_fold(s)) {
            model.forget(s.hash, &s.tokens);
        }
        let c = Classifier {
            model,
            config: config.clone(),
        };
        for s in samples.iter().filter(|s| in_fold(s)) {
            let bayes: Vec<Finding> = c.findings_for(&s.tokens, s.sender);
            ev.bayes.count(s.spam, flagged(bayes.clone()));
            ev.rules.count(s.spam, flagged(s.rules.clone()));
            let mut all = s.rules.clone();
            all.extend(bayes);
            ev.combined.count(s.spam, flagged(all));
        }
    }
    ev
}
