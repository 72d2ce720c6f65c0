//! The catalog's rules: directions from hand scores, forced findings fixed, the cap.

use super::samples::{Corpus, Sample};
use super::{Catalog, Options};
use crate::checks::Finding;
use crate::config::Config;
use crate::verdict::Action;

fn finding(id: &str, score: f64, force: Option<Action>) -> Finding {
    Finding {
        id: id.into(),
        score,
        reason: String::new(),
        force,
    }
}

/// SPAMMY (hand 1) in every spam and in a quarter of the ham, always with NEUTRAL (hand 0)
/// there; HAMMY (hand -1) in the rest of the ham; FORCED (GTUBE-like) in one spam.
fn corpus() -> Corpus {
    let mut samples = Vec::new();
    for n in 0..100u64 {
        let spam = n % 3 == 0;
        let mut findings = match (spam, n % 4 == 1) {
            (true, _) => vec![finding("SPAMMY", 1.0, None)],
            (false, true) => vec![finding("SPAMMY", 1.0, None), finding("NEUTRAL", 0.0, None)],
            (false, false) => vec![finding("HAMMY", -1.0, None)],
        };
        if n == 3 {
            findings.push(finding("FORCED", 7.0, Some(Action::Reject)));
        }
        samples.push((n, spam, findings));
    }
    labelled(samples)
}

/// A corpus of message `n`, spam or not, with these findings (no classifier tokens).
fn labelled(samples: Vec<(u64, bool, Vec<Finding>)>) -> Corpus {
    let samples = samples
        .into_iter()
        .map(|(n, spam, findings)| Sample {
            spam,
            path: format!("{n}").into(),
            folder: usize::from(!spam),
            hash: n,
            findings,
            tokens: Vec::new(),
            sender: 0,
        })
        .collect();
    Corpus {
        samples,
        folders: vec![("spam".into(), true), ("ham".into(), false)],
        unreadable: 0,
    }
}

#[test]
fn fit_keeps_directions_caps_and_forced_scores() {
    let (corpus, config) = (corpus(), Config::embedded_default());
    let catalog = Catalog::build(&corpus, &[], None, &config);
    let opts = Options::default();
    let w = catalog.fit(&corpus, &[], &|_| true, &config.policy.thresholds, &opts);
    let score = |id: &str| {
        let i = catalog.features.iter().position(|f| f.id == id).unwrap();
        (w[i], &catalog.features[i])
    };
    let (spammy, _) = score("SPAMMY");
    let (hammy, _) = score("HAMMY");
    let (neutral, _) = score("NEUTRAL");
    let (forced, f) = score("FORCED");
    assert!(spammy > 0.0 && spammy <= opts.cap, "{w:?}");
    assert!(hammy < 0.0 && hammy >= -opts.cap / 2.0, "{w:?}");
    assert!(neutral < 0.0, "hand score 0 may become ham evidence: {w:?}");
    assert!(f.fixed && forced == 7.0, "{w:?}");
    assert_eq!((f.hits_spam, f.hits_ham), (1, 0));
    // Every spam is caught and no ham flagged with the fitted scores.
    for s in &corpus.samples {
        let flagged = catalog.action(s, [None; 2], &w, &config.policy.thresholds) != Action::Accept;
        assert_eq!(flagged, s.spam, "{}", s.path.display());
    }
}

/// Two bulk traits and one specific sign, each in every spam and never in ham: without the
/// cap the fit would give each several points; with it the bulk traits together stay within
/// `bulk_cap`, and the specific sign is not limited by them.
#[test]
fn bulk_traits_are_capped_together_and_other_rules_are_not() {
    let text = "rules:\n\
        - {id: FORM_A, description: a, target: subject, regex: a, score: 1, bulk: true}\n\
        - {id: FORM_B, description: b, target: subject, regex: b, score: 1, bulk: true}\n\
        - {id: SPECIFIC, description: c, target: subject, regex: c, score: 1}\n";
    let source = crate::rules::Source {
        origin: "test.yaml".into(),
        text: text.into(),
    };
    let rules = crate::rules::RuleSet::compile(vec![source]).unwrap();
    let mut samples = Vec::new();
    for n in 0..200u64 {
        let spam = n % 2 == 0;
        let findings = match spam {
            true => ["FORM_A", "FORM_B", "SPECIFIC"]
                .iter()
                .map(|id| finding(id, 1.0, None))
                .collect(),
            false => Vec::new(),
        };
        samples.push((n, spam, findings));
    }
    let corpus = labelled(samples);
    let config = Config::embedded_default();
    let catalog = Catalog::build(&corpus, &[], Some(&rules), &config);
    let opts = Options::default();
    let w = catalog.fit(&corpus, &[], &|_| true, &config.policy.thresholds, &opts);
    let score = |id: &str| w[catalog.features.iter().position(|f| f.id == id).unwrap()];
    let bulk = score("FORM_A") + score("FORM_B");
    assert!(bulk <= opts.bulk_cap + 0.01, "{w:?}");
    assert!(score("SPECIFIC") > opts.bulk_cap, "{w:?}");
}

/// The bands of each opinion are kept in order among themselves only: a sure content
/// opinion (`BAYES_999`) must not hold the sender's surest band up, nor its least sure down.
#[test]
fn each_opinions_bands_are_ordered_on_their_own() {
    let (corpus, config) = (corpus(), Config::embedded_default());
    let bands = vec![[None; 2]; corpus.samples.len()];
    let catalog = Catalog::build(&corpus, &bands, None, &config);
    let params = catalog.params(&Options::default());
    let index = |id: &str| catalog.features.iter().position(|f| f.id == id).unwrap();
    let below = |id: &str| params[index(id)].not_below;
    assert_eq!(below("BAYES_00"), None);
    assert_eq!(below("BAYES_05"), Some(index("BAYES_00")));
    assert_eq!(below("BAYES_999"), Some(index("BAYES_99")));
    assert_eq!(below("BAYES_SENDER_00"), None, "not held by BAYES_999");
    assert_eq!(below("BAYES_SENDER_05"), Some(index("BAYES_SENDER_00")));
    assert_eq!(below("BAYES_SENDER_999"), Some(index("BAYES_SENDER_99")));
}
