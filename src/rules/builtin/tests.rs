use super::*;

/// One source of truth: every finding of the default pack has its fitted score in the
/// shipped file, which names nothing else, and no fit reversed a rule's direction.
#[test]
fn default_pack_scores_cover_every_rule_and_nothing_else() {
    for with_classifier in [false, true] {
        one_score_file_covers_the_pack(&scores(with_classifier));
    }
}

fn one_score_file_covers_the_pack(table: &super::super::scores::ScoreTable) {
    let mut set = super::super::RuleSet::compile(sources()).unwrap();
    // The classifier's bands are fitted too, but their defaults live in
    // `config::bayes::DEFAULT_BANDS`: here they would be silently ignored.
    let unknown = set.set_scores(table);
    assert!(unknown.is_empty(), "scores for no rule: {unknown:?}");
    let missing: Vec<&str> = set
        .rules()
        .iter()
        .filter(|r| !r.id.starts_with("__") && r.force.is_none())
        .filter(|r| table.get(&r.id).is_none())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fitted score: {missing:?}"
    );
    for r in set.rules() {
        let s = table.get(&r.id).unwrap_or(r.hand_score);
        assert!(
            s * r.hand_score >= 0.0,
            "{} changed sign: {} -> {s}",
            r.id,
            r.hand_score
        );
    }
    // The bulk traits (`bulk: true`) together within the fit's default cap (plus the
    // rounding of each score to two decimals): newsletters are not marked for their form.
    let bulk: Vec<&super::super::Rule> = set.rules().iter().filter(|r| r.bulk).collect();
    assert!(bulk.len() >= 10, "{} bulk traits", bulk.len());
    let sum: f64 = bulk.iter().map(|r| table.get(&r.id).unwrap_or(0.0)).sum();
    let cap = crate::fit::Options::default().bulk_cap;
    assert!(
        sum <= cap + 0.005 * bulk.len() as f64,
        "bulk traits add {sum}"
    );
}
