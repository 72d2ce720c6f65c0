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
        samples.push(Sample {
            spam,
            path: format!("{n}").into(),
            folder: usize::from(!spam),
            hash: n,
            findings,
            tokens: Vec::new(),
        });
    }
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
        let flagged = catalog.action(s, None, &w, &config.policy.thresholds) != Action::Accept;
        assert_eq!(flagged, s.spam, "{}", s.path.display());
    }
}
