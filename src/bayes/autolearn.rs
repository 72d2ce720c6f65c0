//! Autolearn (`bayes.autolearn`, off by default): the classifier learns from the server's
//! own confident verdicts, as SpamAssassin's `bayes_auto_learn` and rspamd's autolearn do,
//! with guards against poisoning (docs/bayes.md "Autolearn").
//!
//! - **Which messages** (`decide`, pure): the score *without the classifier's own finding*
//!   (the model must not reinforce itself) at or above `spam_at` is a spam candidate, at or
//!   below `ham_below` a ham candidate. A candidate is not learned when something else than
//!   its content decided or may have distorted its score: an authenticated submission, a
//!   tempfail verdict, an allow-list finding (`ALLOWLIST`, a `DNSWL_*` listing), any forced
//!   finding (GTUBE, malware, deny lists …), a check that failed or timed out
//!   (`CHECK_FAILED`, `AV_SCAN_FAILED`, `*_TEMPERROR`). Spam needs evidence from more than
//!   one source: at least two findings with points, and the rest still at the marking
//!   threshold without the strongest one. Ham must have been accepted, and not be what the
//!   classifier itself leans to spam (probability 0.6 or more): rules that say nothing
//!   are weak evidence, and learning such a message as ham would teach the model the spam
//!   the rules miss.
//! - **Per sender** (`queue`): at most `per_sender_hourly` messages per sender per hour
//!   (the envelope sender's domain; for the null sender, the client's /24 or IPv6 /48).
//! - **Queued, never waited for** (`queue`): the session only puts the message's tokens in
//!   a bounded queue (a full queue drops, counted); a background task (`flush`) adds them
//!   to the model every `every` and saves it as `moat learn` does — under the model's lock
//!   file, re-read first — then the server classifies with it at once (file) or at its
//!   next version poll (Redis). A message already in the model (by hash) is left as it is,
//!   so autolearn never overrides what a person taught.
//!
//! Only the SMTP sessions of `moat serve` learn (`crate::inbound::deliver`): the milter's
//! and scan API's callers have their own verdict and their own learning (`rspamc learn_*`).

pub mod flush;
pub mod metrics;
mod queue;

pub use queue::Learner;

use super::model::Class;
use crate::checks::{Finding, MessageContext};
use crate::config::bayes::BayesConfig;
use crate::config::stages::ids;
use crate::runtime::Runtime;
use crate::smtp::address::ReversePath;
use crate::verdict::{Action, Verdict};
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Weak};

/// Why a candidate was not learned; `label` is the metric's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A user of the site sent it (SMTP AUTH): their mail is not the internet's.
    Authenticated,
    /// The verdict was tempfail: the message may come back, judged differently.
    Tempfail,
    /// `ALLOWLIST` or a `DNSWL_*` listing: trust in the sender, not what the message says.
    Allowlist,
    /// A finding forced the action (GTUBE, malware, deny lists …): not a content score.
    Forced,
    /// A check failed or timed out: the score lacks what it would have said.
    CheckError,
    /// Spam on one finding's word alone.
    Evidence,
    /// The verdict disagrees: spam that was accepted, ham that was marked.
    Verdict,
    /// Ham that the classifier itself puts at 0.6 or above.
    Classifier,
    /// The sender's hourly share is used up.
    SenderCap,
    /// Already in the model (learned by a person or an earlier flush).
    Known,
}

impl Guard {
    pub const ALL: [Guard; 10] = [
        Guard::Authenticated,
        Guard::Tempfail,
        Guard::Allowlist,
        Guard::Forced,
        Guard::CheckError,
        Guard::Evidence,
        Guard::Verdict,
        Guard::Classifier,
        Guard::SenderCap,
        Guard::Known,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Guard::Authenticated => "skipped_authenticated",
            Guard::Tempfail => "skipped_tempfail",
            Guard::Allowlist => "skipped_allowlist",
            Guard::Forced => "skipped_forced",
            Guard::CheckError => "skipped_check_error",
            Guard::Evidence => "skipped_evidence",
            Guard::Verdict => "skipped_verdict",
            Guard::Classifier => "skipped_classifier",
            Guard::SenderCap => "skipped_sender_cap",
            Guard::Known => "skipped_known",
        }
    }
}

/// What autolearn makes of one verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Between the two thresholds: not a candidate (not counted).
    Neither,
    Learn(Class),
    Skip(Class, Guard),
}

/// The classifier's probability from which a ham candidate is left alone (`BAYES_60` and
/// up). Measured on the held-out half of the development corpus (docs/bayes.md
/// "Autolearn"): 0.6 keeps 3 of the 7 spams that 0.8 let through as ham, for 1 ham of 1 050.
const HAM_VETO_FROM: f64 = 0.6;

/// Whether `f` is the classifier's own finding (one of the configured bands).
fn is_classifier(config: &BayesConfig, f: &Finding) -> bool {
    config.all_bands().any(|b| b.id == f.id)
}

/// The lower bound of the probability band `id` (0 for the first band of its opinion).
fn band_floor(config: &BayesConfig, id: &str) -> Option<f64> {
    config.families().into_iter().find_map(|bands| {
        let i = bands.iter().position(|b| b.id == id)?;
        Some(if i == 0 { 0.0 } else { bands[i - 1].below })
    })
}

fn is_allowlist(f: &Finding) -> bool {
    f.id == "ALLOWLIST" || f.id.starts_with("DNSWL_")
}

fn is_check_error(f: &Finding) -> bool {
    f.id == "CHECK_FAILED" || f.id == ids::AV_SCAN_FAILED || f.id.ends_with("_TEMPERROR")
}

/// The guards that need no state, in order; the sender cap and the model's memory of
/// learned messages are applied after (`queue`, `flush`).
pub fn decide(verdict: &Verdict, authenticated: bool, config: &BayesConfig) -> Decision {
    let settings = &config.autolearn;
    let evidence: Vec<&Finding> = verdict
        .findings
        .iter()
        .filter(|f| !is_classifier(config, f))
        .collect();
    let score: f64 = evidence.iter().map(|f| f.score).sum();
    let class = if score >= settings.spam_at {
        Class::Spam
    } else if score <= settings.ham_below {
        Class::Ham
    } else {
        return Decision::Neither;
    };
    let skip = |guard| Decision::Skip(class, guard);
    if authenticated {
        return skip(Guard::Authenticated);
    }
    if verdict.action == Action::Tempfail {
        return skip(Guard::Tempfail);
    }
    if verdict.findings.iter().any(is_allowlist) {
        return skip(Guard::Allowlist);
    }
    if verdict.findings.iter().any(|f| f.force.is_some()) {
        return skip(Guard::Forced);
    }
    if verdict.findings.iter().any(is_check_error) {
        return skip(Guard::CheckError);
    }
    match class {
        Class::Spam => {
            if !several_sources(&evidence, score, verdict.required) {
                return skip(Guard::Evidence);
            }
            if verdict.action == Action::Accept {
                return skip(Guard::Verdict);
            }
        }
        Class::Ham => {
            if verdict.action != Action::Accept {
                return skip(Guard::Verdict);
            }
            let leans_spam = verdict
                .findings
                .iter()
                .filter_map(|f| band_floor(config, &f.id))
                .any(|floor| floor >= HAM_VETO_FROM);
            if leans_spam {
                return skip(Guard::Classifier);
            }
        }
    }
    Decision::Learn(class)
}

/// Spam evidence from more than one source: two distinct findings with points, and the
/// score without the strongest of them still at the marking threshold (`required`): the
/// message would have been marked without its strongest finding.
fn several_sources(evidence: &[&Finding], score: f64, required: f64) -> bool {
    let mut positive: Vec<(&str, f64)> = evidence
        .iter()
        .filter(|f| f.score > 0.0)
        .map(|f| (f.id.as_str(), f.score))
        .collect();
    positive.sort_by(|a, b| a.0.cmp(b.0));
    positive.dedup_by(|a, b| a.0 == b.0);
    let strongest = positive.iter().map(|p| p.1).fold(0.0, f64::max);
    positive.len() >= 2 && score - strongest >= required
}

/// Whose share of the hourly cap a message uses: the envelope sender's domain, or for the
/// null sender (bounces, which anyone can send) the client's /24 (IPv6: /48).
pub fn sender_key(from: &ReversePath, client_ip: IpAddr) -> String {
    match (from, client_ip) {
        (ReversePath::Mailbox(m), _) => m.domain.to_ascii_lowercase(),
        (ReversePath::Null, IpAddr::V4(ip)) => {
            let [a, b, c, _] = ip.octets();
            format!("<>{a}.{b}.{c}.0/24")
        }
        (ReversePath::Null, IpAddr::V6(ip)) => {
            let s = ip.segments();
            format!("<>{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// The end of DATA of a `moat serve` session: queues the message for learning when its
/// verdict passes every guard. Cheap when it does not (the guards look at findings only),
/// and never waits on the flush: the message's tokens are taken only for a message that
/// will be queued, off the session's thread when the message is large (`cpu_work`).
/// `authenticated`: the client logged in (SMTP AUTH) — Moat's MX listener has no AUTH
/// today, so the server passes `false`; the guard is there for a door that will.
pub async fn offer(rt: &Runtime, message: &MessageContext, verdict: &Verdict, authenticated: bool) {
    let config = &rt.config.bayes;
    if !config.autolearn.enabled {
        return;
    }
    let Some(learner) = Learner::running() else {
        return;
    };
    let class = match decide(verdict, authenticated, config) {
        Decision::Neither => return,
        Decision::Skip(class, guard) => return metrics::counted(class, guard.label()),
        Decision::Learn(class) => class,
    };
    let sender = sender_key(&message.from, message.client_ip);
    if !learner.admit(&config.autolearn, class, &sender) {
        return;
    }
    let (facts, body) = (message.facts_loader(), message.body.clone());
    let item = crate::checks::cpu_work(body.len(), move || queue::Item {
        class,
        hash: super::learn::message_hash(&body),
        tokens: super::tokens::tokens(&facts()),
    })
    .await;
    learner.put(&config.autolearn, item);
}

/// Registers a live handle on a model file, so that each flush into `path` puts the new
/// model in front of the sessions at once (`crate::bayes::shared::handle`).
pub fn follow_file(path: &Path, config: &BayesConfig, live: Weak<super::shared::Live>) {
    flush::follow(path, config, live);
}

/// Starts autolearn for `moat serve`: the queue sessions offer to, and the task that
/// flushes it. `current` gives the configuration in force at each flush.
pub fn start(current: flush::Current) -> Arc<Learner> {
    flush::start(current)
}

#[cfg(test)]
mod tests;
