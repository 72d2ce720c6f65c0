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
mod tests;
