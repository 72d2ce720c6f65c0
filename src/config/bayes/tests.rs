use super::*;

#[test]
fn probability_bands_cover_zero_to_one() {
    let c = BayesConfig::default();
    assert_eq!(c.band(0.0).id, "BAYES_00");
    assert_eq!(c.band(0.5).id, "BAYES_50");
    assert_eq!(c.band(0.995).id, "BAYES_99");
    assert_eq!(c.band(1.0).id, "BAYES_999");
}

/// Both opinions have the same bounds, and the default scores of each never fall from one
/// band to the next (a surer classifier never counts for less); `config/moat.yaml` repeats
/// the defaults of both.
#[test]
fn both_opinions_have_ordered_bands_repeated_in_the_shipped_config() {
    let c = BayesConfig::default();
    assert_eq!(c.sender_band(0.0).id, "BAYES_SENDER_00");
    assert_eq!(c.sender_band(0.995).id, "BAYES_SENDER_99");
    assert_eq!(c.sender_band(1.0).id, "BAYES_SENDER_999");
    for family in c.families() {
        for pair in family.windows(2) {
            assert!(pair[0].score <= pair[1].score, "{pair:?}");
        }
    }
    let bounds = |f: &[Band]| f.iter().map(|b| b.below).collect::<Vec<_>>();
    assert_eq!(bounds(&c.bands), bounds(&c.sender_bands));
    let shipped = crate::config::Config::from_yaml(crate::config::DEFAULT_YAML, "moat.yaml")
        .expect("the shipped configuration loads");
    assert_eq!(shipped.bayes.bands, c.bands);
    assert_eq!(shipped.bayes.sender_bands, c.sender_bands);
}

#[test]
fn sender_band_scores_are_configured_like_the_content_bands() {
    let raw = RawBayes {
        scores: [("BAYES_SENDER_99".to_string(), 2.5)].into(),
        ..RawBayes::default()
    };
    let mut errs = Vec::new();
    let c = build("<test>", raw, &mut |k, m| errs.push(format!("{k}: {m}")));
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(c.sender_band(0.995).score, 2.5);
    assert_ne!(
        c.band(0.995).score,
        2.5,
        "the content band keeps its own score"
    );
}

#[test]
fn unknown_band_score_is_an_error() {
    let raw = RawBayes {
        scores: [("BAYES_98".to_string(), 1.0), ("BAYES_99".to_string(), 4.5)].into(),
        ..RawBayes::default()
    };
    let mut errs = Vec::new();
    let c = build("<test>", raw, &mut |k, m| errs.push(format!("{k}: {m}")));
    assert_eq!(c.band(0.995).score, 4.5);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("bayes.scores.BAYES_98: unknown band")
            && errs[0].contains("BAYES_SENDER_999"),
        "{errs:?}"
    );
}

/// `bayes.autolearn` is off by default; its bad values are refused with file, line and key.
#[test]
fn autolearn_bad_values_are_refused_with_file_line_and_key() {
    assert!(!BayesConfig::default().autolearn.enabled);
    let base = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n";
    let text = format!(
        "{base}bayes:\n  model: b.model\n  autolearn:\n    enabled: true\n    spam_at: 3\n    ham_below: 5\n    per_sender_hourly: 0\n    per_flush: 0\n    every: 10ms\n"
    );
    let e = crate::config::Config::from_yaml(&text, "t.yaml").unwrap_err();
    let shown = e.to_string();
    for needle in [
        "t.yaml:12: bayes.autolearn.ham_below: must be below spam_at",
        "t.yaml:13: bayes.autolearn.per_sender_hourly",
        "t.yaml:14: bayes.autolearn.per_flush",
        "t.yaml:15: bayes.autolearn.every",
    ] {
        assert!(shown.contains(needle), "{needle} in {shown}");
    }
    // Enabled with nothing to learn into.
    let text = format!("{base}bayes:\n  autolearn:\n    enabled: true\n");
    let shown = crate::config::Config::from_yaml(&text, "t.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        shown.contains("t.yaml:9: bayes.autolearn.enabled: needs a model"),
        "{shown}"
    );
    let text = format!(
        "{base}bayes:\n  model: b.model\n  autolearn:\n    enabled: true\n    spam_at: 12\n    ham_below: -1\n    every: 30s\n"
    );
    let c = crate::config::Config::from_yaml(&text, "t.yaml").unwrap();
    assert!(c.bayes.autolearn.enabled);
    assert_eq!(c.bayes.autolearn.ham_below, -1.0);
    assert_eq!(c.bayes.autolearn.every, std::time::Duration::from_secs(30));
}
