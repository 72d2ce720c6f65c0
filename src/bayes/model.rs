//! The trained counts and the classifier: Robinson's per-token probability with Fisher's
//! chi-square combining (as SpamBayes and SpamAssassin do). Per token: in how many spam and
//! ham messages it appeared. Per message learned: a hash, so learning it again is a no-op
//! (and learning it as the other class moves it).

use std::collections::HashMap;

/// How many learned messages are remembered for de-duplication (16 bytes each).
pub const MAX_SEEN: usize = 2_000_000;
/// Robinson's strength of the prior (s) and the prior itself (x). SpamBayes' 0.45: s = 1
/// caught more spam in cross-validation but flagged more of the hard ham that neither the
/// fit nor the model had seen (docs/bayes.md "What each tokenizer change is worth").
const PRIOR_STRENGTH: f64 = 0.45;
const PRIOR: f64 = 0.5;
/// Tokens closer to 0.5 than this say nothing and are ignored.
const MIN_STRENGTH: f64 = 0.1;
/// The most decisive tokens of a message that are combined.
const MAX_CLUES: usize = 150;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Spam,
    Ham,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Model {
    pub nspam: u32,
    pub nham: u32,
    /// Token hash → (spam count, ham count).
    pub tokens: HashMap<u64, (u32, u32)>,
    /// Message hash → class it was learned as.
    pub seen: HashMap<u64, Class>,
}

/// What `learn` did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    New,
    AlreadyKnown,
    /// It had been learned as the other class; now moved.
    Relearned,
}

impl Model {
    pub fn learn(&mut self, message_hash: u64, tokens: &[u64], class: Class) -> Learned {
        let mut result = Learned::New;
        match self.seen.get(&message_hash) {
            Some(c) if *c == class => return Learned::AlreadyKnown,
            Some(c) => {
                let old = *c;
                self.count(tokens, old, false);
                result = Learned::Relearned;
            }
            None => {}
        }
        self.count(tokens, class, true);
        if self.seen.len() < MAX_SEEN || result == Learned::Relearned {
            self.seen.insert(message_hash, class);
        }
        result
    }

    /// Takes a learned message out again (cross-validation trains on all but one fold).
    pub fn forget(&mut self, message_hash: u64, tokens: &[u64]) {
        if let Some(class) = self.seen.remove(&message_hash) {
            self.count(tokens, class, false);
        }
    }

    fn count(&mut self, tokens: &[u64], class: Class, add: bool) {
        let step = |n: &mut u32| {
            *n = if add {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            }
        };
        match class {
            Class::Spam => step(&mut self.nspam),
            Class::Ham => step(&mut self.nham),
        }
        for t in tokens {
            let e = self.tokens.entry(*t).or_default();
            match class {
                Class::Spam => step(&mut e.0),
                Class::Ham => step(&mut e.1),
            }
            if *e == (0, 0) {
                self.tokens.remove(t);
            }
        }
    }

    /// Robinson's smoothed probability that a message with this token is spam.
    fn token_prob(&self, spam: u32, ham: u32) -> f64 {
        let s_ratio = spam as f64 / self.nspam.max(1) as f64;
        let h_ratio = ham as f64 / self.nham.max(1) as f64;
        let p = if s_ratio + h_ratio == 0.0 {
            PRIOR
        } else {
            s_ratio / (s_ratio + h_ratio)
        };
        let n = (spam + ham) as f64;
        (PRIOR_STRENGTH * PRIOR + n * p) / (PRIOR_STRENGTH + n)
    }

    /// What the model knows of one token: its smoothed spam probability and the spam and
    /// ham messages it was learned in; `None` for a token never learned.
    pub fn clue(&self, token: u64) -> Option<(f64, u32, u32)> {
        let &(s, h) = self.tokens.get(&token)?;
        Some((self.token_prob(s, h), s, h))
    }

    /// Whether a token's probability is far enough from 0.5 to be combined.
    pub fn decisive(p: f64) -> bool {
        (p - 0.5).abs() >= MIN_STRENGTH
    }

    /// The probability that the message is spam, in [0, 1]; `None` when no token is known
    /// well enough to say anything.
    pub fn classify(&self, tokens: &[u64]) -> Option<f64> {
        let mut clues: Vec<f64> = tokens
            .iter()
            .filter_map(|t| self.tokens.get(t))
            .map(|&(s, h)| self.token_prob(s, h))
            .filter(|p| Model::decisive(*p))
            .collect();
        if clues.is_empty() {
            return None;
        }
        if clues.len() > MAX_CLUES {
            clues.select_nth_unstable_by(MAX_CLUES, |a, b| {
                (b - 0.5).abs().total_cmp(&(a - 0.5).abs())
            });
            clues.truncate(MAX_CLUES);
        }
        let (mut ln_ham, mut ln_spam) = (0.0, 0.0);
        for p in &clues {
            let p = p.clamp(1e-6, 1.0 - 1e-6);
            ln_ham += p.ln();
            ln_spam += (1.0 - p).ln();
        }
        let n = clues.len();
        let s = 1.0 - chi2q(-2.0 * ln_spam, 2 * n);
        let h = 1.0 - chi2q(-2.0 * ln_ham, 2 * n);
        Some(((s - h + 1.0) / 2.0).clamp(0.0, 1.0))
    }
}

/// P(chi² ≥ x2) with `v` (even) degrees of freedom.
fn chi2q(x2: f64, v: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..v / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests;
