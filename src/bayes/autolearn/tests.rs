//! Every guard of autolearn, named after what it guards, on verdicts built by hand (no
//! sockets, no tokenizer figures), and the queue and flush on their own.

use super::flush::{self, Report};
use super::queue::{Item, Learner};
use super::*;
use crate::bayes::model::{Class, Model};
use crate::checks::Finding;
use crate::config::bayes::BayesConfig;
use crate::verdict::{Action, Verdict};
use std::time::{Duration, Instant};

fn config() -> BayesConfig {
    let mut c = BayesConfig::default();
    c.autolearn.enabled = true;
    c
}

fn f(id: &str, score: f64) -> Finding {
    Finding {
        id: id.into(),
        score,
        reason: String::new(),
        force: None,
    }
}

fn forced(id: &str, action: Action) -> Finding {
    Finding {
        force: Some(action),
        ..f(id, 0.0)
    }
}

/// A verdict as `crate::verdict::decide` makes it at the default thresholds (marking at 4).
fn verdict(action: Action, findings: Vec<Finding>) -> Verdict {
    Verdict {
        action,
        score: findings.iter().map(|f| f.score).sum(),
        required: 4.0,
        findings,
    }
}

fn strong_spam() -> Vec<Finding> {
    vec![f("RULE_A", 7.0), f("RULE_B", 6.0)]
}

#[test]
fn spam_with_evidence_from_two_findings_is_learned() {
    let v = verdict(Action::Quarantine, strong_spam());
    assert_eq!(decide(&v, false, &config()), Decision::Learn(Class::Spam));
}

#[test]
fn ham_without_any_spam_evidence_is_learned() {
    let v = verdict(Action::Accept, vec![f("BAYES_20", 0.34)]);
    assert_eq!(decide(&v, false, &config()), Decision::Learn(Class::Ham));
    let v = verdict(Action::Accept, vec![]);
    assert_eq!(decide(&v, false, &config()), Decision::Learn(Class::Ham));
}

#[test]
fn score_between_the_thresholds_is_not_a_candidate() {
    let v = verdict(Action::AddHeader, vec![f("RULE_A", 5.0)]);
    assert_eq!(decide(&v, false, &config()), Decision::Neither);
}

/// The classifier's own finding never counts: BAYES_999 does not carry 8 points of rules
/// to the spam threshold, and BAYES_00 does not carry 1 point down to the ham one.
#[test]
fn classifier_finding_is_not_counted_in_the_score() {
    let v = verdict(
        Action::Quarantine,
        vec![f("RULE_A", 4.0), f("RULE_B", 4.0), f("BAYES_999", 5.0)],
    );
    assert_eq!(decide(&v, false, &config()), Decision::Neither);
    let v = verdict(Action::Accept, vec![f("RULE_A", 1.0), f("BAYES_00", -2.5)]);
    assert_eq!(decide(&v, false, &config()), Decision::Neither);
    // Even a classifier band scored far above its default is not evidence.
    let v = verdict(Action::Reject, vec![f("RULE_A", 1.0), f("BAYES_99", 20.0)]);
    assert_eq!(decide(&v, false, &config()), Decision::Neither);
}

#[test]
fn authenticated_submission_is_never_learned() {
    let v = verdict(Action::Quarantine, strong_spam());
    let d = decide(&v, true, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Authenticated));
    let v = verdict(Action::Accept, vec![]);
    let d = decide(&v, true, &config());
    assert_eq!(d, Decision::Skip(Class::Ham, Guard::Authenticated));
}

#[test]
fn tempfail_verdict_is_never_learned() {
    let v = verdict(Action::Tempfail, strong_spam());
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Tempfail));
}

#[test]
fn allowlisted_message_is_never_learned() {
    // `lists.allow`: accepted without checks, score 0 — a ham candidate on its face.
    let v = verdict(Action::Accept, vec![forced("ALLOWLIST", Action::Accept)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Ham, Guard::Allowlist));
    // A DNSWL listing lowers the score by trust in the sender, not by what it says.
    let v = verdict(Action::Accept, vec![f("DNSWL_EXAMPLE", -5.0)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Ham, Guard::Allowlist));
}

#[test]
fn forced_finding_is_never_learned() {
    let mut findings = strong_spam();
    findings.push(forced("GTUBE", Action::Reject));
    let v = verdict(Action::Reject, findings);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Forced));
    let v = verdict(Action::Reject, vec![forced("DENYLIST", Action::Reject)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Ham, Guard::Forced));
}

#[test]
fn check_error_or_dns_timeout_is_never_learned() {
    for id in [
        "CHECK_FAILED",
        "AV_SCAN_FAILED",
        "SPF_TEMPERROR",
        "DMARC_TEMPERROR",
    ] {
        let v = verdict(Action::Accept, vec![f(id, 0.0)]);
        let d = decide(&v, false, &config());
        assert_eq!(d, Decision::Skip(Class::Ham, Guard::CheckError), "{id}");
        let mut findings = strong_spam();
        findings.push(f(id, 0.0));
        let v = verdict(Action::Quarantine, findings);
        let d = decide(&v, false, &config());
        assert_eq!(d, Decision::Skip(Class::Spam, Guard::CheckError), "{id}");
    }
}

/// Spam needs more than one source: one finding alone, however strong, is not enough, nor
/// two whose weaker one would not have marked the message without the stronger.
#[test]
fn spam_on_one_finding_alone_is_not_learned() {
    let v = verdict(Action::Quarantine, vec![f("RULE_A", 13.0)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Evidence));
    // The same rule twice is one source.
    let v = verdict(Action::Quarantine, vec![f("RULE_A", 6.5), f("RULE_A", 6.5)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Evidence));
    // 10 + 2: without its strongest finding the message scores 2, below marking (4).
    let v = verdict(
        Action::Quarantine,
        vec![f("RULE_A", 10.0), f("RULE_B", 2.0)],
    );
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Evidence));
}

#[test]
fn verdict_that_disagrees_is_not_learned() {
    // Spam by the autolearn threshold that the configured actions accepted.
    let v = verdict(Action::Accept, strong_spam());
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Spam, Guard::Verdict));
    // No rule said anything, but the message was marked (here by the classifier).
    let v = verdict(Action::AddHeader, vec![f("BAYES_999", 5.0)]);
    let d = decide(&v, false, &config());
    assert_eq!(d, Decision::Skip(Class::Ham, Guard::Verdict));
}

/// Rules that say nothing are weak evidence of ham: what the classifier holds for spam
/// (0.6 and up) is not learned as ham even when accepted.
#[test]
fn ham_the_classifier_holds_for_spam_is_not_learned() {
    for band in ["BAYES_60", "BAYES_80", "BAYES_95"] {
        let v = verdict(Action::Accept, vec![f(band, 3.55)]);
        let d = decide(&v, false, &config());
        assert_eq!(d, Decision::Skip(Class::Ham, Guard::Classifier), "{band}");
    }
    let v = verdict(Action::Accept, vec![f("BAYES_50", 0.5)]);
    assert_eq!(decide(&v, false, &config()), Decision::Learn(Class::Ham));
}

#[test]
fn sender_is_the_envelope_domain_or_the_null_senders_network() {
    use crate::smtp::address::{ReversePath, parse_mailbox};
    let from = ReversePath::Mailbox(parse_mailbox("news@Shop.Example").unwrap());
    let ip = "192.0.2.7".parse().unwrap();
    assert_eq!(sender_key(&from, ip), "shop.example");
    assert_eq!(sender_key(&ReversePath::Null, ip), "<>192.0.2.0/24");
    let other = "192.0.2.200".parse().unwrap();
    assert_eq!(
        sender_key(&ReversePath::Null, ip),
        sender_key(&ReversePath::Null, other)
    );
    let v6 = "2001:db8:1:2::5".parse().unwrap();
    assert_eq!(sender_key(&ReversePath::Null, v6), "<>2001:db8:1::/48");
}

fn settings(
    per_sender_hourly: u32,
    per_flush: usize,
) -> crate::config::bayes::autolearn::Autolearn {
    crate::config::bayes::autolearn::Autolearn {
        enabled: true,
        per_sender_hourly,
        per_flush,
        ..Default::default()
    }
}

#[test]
fn per_sender_cap_holds_for_an_hour() {
    let start = Instant::now();
    let learner = Learner::new(start);
    let s = settings(3, 100);
    let admitted: Vec<bool> = (0..5)
        .map(|_| learner.admit_at(&s, Class::Spam, "flood.example", start))
        .collect();
    assert_eq!(admitted, [true, true, true, false, false]);
    assert!(learner.admit_at(&s, Class::Ham, "other.example", start));
    let later = start + Duration::from_secs(3601);
    assert!(
        learner.admit_at(&s, Class::Spam, "flood.example", later),
        "a new hour, a new share"
    );
}

/// A full queue drops at once: the session does not wait, and the message is not even
/// tokenized (`offer` takes tokens only after `admit`).
#[test]
fn full_queue_drops_without_waiting() {
    let now = Instant::now();
    let learner = Learner::new(now);
    let s = settings(100, 2);
    for n in 0..2u64 {
        assert!(learner.admit_at(&s, Class::Ham, "a.example", now));
        learner.put(&s, item(Class::Ham, n));
    }
    let before = metrics::count(Class::Ham, "dropped");
    assert!(!learner.admit_at(&s, Class::Ham, "a.example", now));
    assert_eq!(learner.len(), 2);
    assert!(metrics::count(Class::Ham, "dropped") > before);
    // Admitted, then overtaken by other sessions: dropped at `put`, not queued past the bound.
    learner.put(&s, item(Class::Ham, 3));
    assert_eq!(learner.len(), 2);
    let batch = learner.take(10);
    assert_eq!(batch.len(), 2);
    assert!(learner.is_empty());
    // A batch that could not be saved goes back in front, within the bound.
    let overflow = learner.requeue(batch, 1);
    assert_eq!((learner.len(), overflow.len()), (1, 1));
}

fn item(class: Class, hash: u64) -> Item {
    Item {
        class,
        hash,
        tokens: vec![hash * 10 + 1, hash * 10 + 2],
    }
}

/// What a person taught stays: a message the model knows (as either class) is not
/// learned again nor moved by autolearn.
#[test]
fn known_message_is_left_as_it_was() {
    let mut model = Model::default();
    model.learn(1, &[11, 12], Class::Ham);
    let report = flush::add(&mut model, &[item(Class::Spam, 1), item(Class::Spam, 2)]);
    assert_eq!(
        report,
        Report {
            spam: 1,
            known_spam: 1,
            ..Report::default()
        }
    );
    assert_eq!((model.nspam, model.nham), (1, 1));
    assert_eq!(model.seen.get(&1), Some(&Class::Ham));
}

/// The flush re-reads the model under its lock, so what another learner saved before is
/// kept; while another learner holds the lock, the flush waits for the next round.
#[test]
fn flush_into_file_keeps_what_another_learner_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bayes.model");
    let mut theirs = Model::default();
    theirs.learn(100, &[1, 2], Class::Ham);
    crate::bayes::store::save(&path, &theirs).unwrap();
    let held = crate::bayes::store::try_lock(&path).unwrap().unwrap();
    let busy = flush::into_file(&path, &[item(Class::Spam, 1)]);
    assert!(matches!(busy, Err(flush::FlushError::Busy(_))), "{busy:?}");
    drop(held);
    let (report, model) = flush::into_file(&path, &[item(Class::Spam, 1)]).unwrap();
    assert_eq!(report.spam, 1);
    let saved = crate::bayes::store::load(&path).unwrap().unwrap();
    assert_eq!(saved, model);
    assert_eq!((saved.nspam, saved.nham), (1, 1));
}

/// Into Redis (here the state store's in-memory stand-in, same compare-and-set): the model
/// another learner published is read and added to, and a new version published.
#[tokio::test]
async fn flush_into_redis_adds_to_the_published_model() {
    let state = crate::store::state::Store::new(&Default::default());
    let mut theirs = Model::default();
    theirs.learn(100, &[1, 2], Class::Ham);
    let v1 = state
        .publish("bayes:model", &crate::bayes::store::encode(&theirs), None)
        .await
        .unwrap()
        .unwrap();
    let batch = std::sync::Arc::new(vec![item(Class::Spam, 1), item(Class::Ham, 100)]);
    let report = flush::into_redis(&state, "bayes:model", batch)
        .await
        .unwrap();
    assert_eq!((report.spam, report.known_ham), (1, 1));
    let (v2, blob) = state.fetch("bayes:model").await.unwrap().unwrap();
    assert!(v2 > v1);
    let model = crate::bayes::store::decode(&blob).unwrap();
    assert_eq!((model.nspam, model.nham), (1, 1));
}
