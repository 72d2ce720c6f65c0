//! The default rule pack (`rules/default/`), compiled into the binary so that the embedded
//! configuration works from any directory. Configs name it `builtin:default`.

use super::Source;

pub const NAME: &str = "builtin:default";

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
        "rules/default/90-meta.yaml",
        include_str!("../../rules/default/90-meta.yaml"),
    ),
];

pub fn sources() -> Vec<Source> {
    FILES
        .iter()
        .map(|(name, text)| Source {
            origin: name.to_string(),
            text: text.to_string(),
        })
        .collect()
}
