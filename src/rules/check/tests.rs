use super::*;

/// What rule-file globs meant before the `glob` crate (`*`, `?`, dot files included)
/// still holds; `[…]` is now a character class, and a broken pattern is an error.
#[test]
fn glob_matches_stars_and_question_marks() {
    let matches = |p: &str, n: &str| glob::Pattern::new(p).unwrap().matches(n);
    assert!(matches("*.yaml", "spam.yaml"));
    assert!(!matches("*.yaml", "spam.yml"));
    assert!(matches("r?-*.yaml", "r1-x.yaml"));
    assert!(matches("*.yaml", ".hidden.yaml"));
    assert!(matches("*", ""));
    assert!(matches("[ab]*.yaml", "b1.yaml") && !matches("[!ab]*.yaml", "b1.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let e = expand(&[dir.path().join("[*.yaml")]).unwrap_err();
    assert!(e.message.starts_with("not a valid glob"), "{}", e.message);
}

#[test]
fn directory_glob_loads_sorted_files() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["b.yaml", "a.yaml", "c.txt"] {
        std::fs::write(dir.path().join(n), "rules: []\n").unwrap();
    }
    let files = expand(&[dir.path().join("*.yaml")]).unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["a.yaml", "b.yaml"]);
}

/// With `bayes.model` configured but no model loaded yet (not trained, damaged), the
/// pack's rules carry the verdict with the scores fitted for them alone, not the smaller
/// ones fitted to sit beside the classifier (which caught ~38 % of spam without it).
#[tokio::test]
async fn pack_without_a_loaded_model_scores_as_rules_alone() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "hostname: mx.example.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
             backend:\n  protocol: maildir\n  path: {}\nbayes:\n  model: {}\n",
        dir.path().join("m").display(),
        dir.path().join("not-trained-yet.model").display()
    );
    let config = crate::config::Config::from_yaml(&yaml, "t.yaml").unwrap();
    assert!(config.bayes.configured());
    let rt = crate::runtime::Runtime::new(config).unwrap();
    let raw = b"Subject: hi\r\n\r\nThis is a limited time offer, act now.\r\n".to_vec();
    let verdict = crate::cli::scan::scan_one(&rt, raw, &Default::default()).await;
    let act_now = verdict.findings.iter().find(|f| f.id == "ACT_NOW").unwrap();
    let alone = super::super::builtin::scores(false).get("ACT_NOW").unwrap();
    let beside = super::super::builtin::scores(true).get("ACT_NOW").unwrap();
    assert_ne!(
        alone, beside,
        "the test needs a rule whose two fitted scores differ"
    );
    assert_eq!(act_now.score, alone);
}
