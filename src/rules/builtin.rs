//! The default rule pack (`rules/default/`), compiled into the binary so that the embedded
//! configuration works from any directory. Configs name it `builtin:default`.

use super::Source;

pub const NAME: &str = crate::config::policy::BUILTIN_RULES;

const FILES: &[(&str, &str)] = &[
    (
        "rules/default/00-gtube.yaml",
        include_str!("../../rules/default/00-gtube.yaml"),
    ),
    (
        "rules/default/10-headers.yaml",
        include_str!("../../rules/default/10-headers.yaml"),
    ),
    (
        "rules/default/20-subject.yaml",
        include_str!("../../rules/default/20-subject.yaml"),
    ),
    (
        "rules/default/30-body.yaml",
        include_str!("../../rules/default/30-body.yaml"),
    ),
    (
        "rules/default/40-phishing.yaml",
        include_str!("../../rules/default/40-phishing.yaml"),
    ),
    (
        "rules/default/50-uri.yaml",
        include_str!("../../rules/default/50-uri.yaml"),
    ),
    (
        "rules/default/60-attachments.yaml",
        include_str!("../../rules/default/60-attachments.yaml"),
    ),
    (
        "rules/default/70-structure.yaml",
        include_str!("../../rules/default/70-structure.yaml"),
    ),
    (
        "rules/default/80-legitimate.yaml",
        include_str!("../../rules/default/80-legitimate.yaml"),
    ),
    (
        "rules/default/90-meta.yaml",
        include_str!("../../rules/default/90-meta.yaml"),
    ),
];

/// The default pack's scores, fitted by `moat rules fit` on labelled mail (docs/rules.md
/// "Fitted scores"), once for the rules alone and once beside the classifier's bands: what a
/// rule is worth depends on what else speaks (with the classifier, the rules need carry
/// less). Kept beside the pack rather than in it, so that a directory or glob over
/// `rules/default/` still finds rule files only.
pub const SCORES: (&str, &str) = (
    "rules/default-scores.yaml",
    include_str!("../../rules/default-scores.yaml"),
);
pub const SCORES_WITH_CLASSIFIER: (&str, &str) = (
    "rules/default-scores-bayes.yaml",
    include_str!("../../rules/default-scores-bayes.yaml"),
);

/// The fitted scores of the default pack, for a configuration with or without the
/// classifier (`BayesConfig::configured`).
pub fn scores(with_classifier: bool) -> super::scores::ScoreTable {
    let (name, text) = if with_classifier {
        SCORES_WITH_CLASSIFIER
    } else {
        SCORES
    };
    super::scores::ScoreTable::parse(text, name)
        .expect("the default pack's score files are valid (checked by a unit test)")
}

pub fn sources() -> Vec<Source> {
    FILES
        .iter()
        .map(|(name, text)| Source {
            origin: name.to_string(),
            text: text.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
}
