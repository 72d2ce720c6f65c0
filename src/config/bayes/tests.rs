use super::*;

#[test]
fn probability_bands_cover_zero_to_one() {
    let c = BayesConfig::default();
    assert_eq!(c.band(0.0).id, "BAYES_00");
    assert_eq!(c.band(0.5).id, "BAYES_50");
    assert_eq!(c.band(0.995).id, "BAYES_99");
    assert_eq!(c.band(1.0).id, "BAYES_999");
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
        errs[0].starts_with("bayes.scores.BAYES_98: unknown band"),
        "{errs:?}"
    );
}
