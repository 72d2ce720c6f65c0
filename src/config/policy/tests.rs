use crate::config::Config;

fn yaml(extra: &str) -> String {
    format!(
        "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: ./m\n{extra}"
    )
}

#[test]
fn thresholds_must_rise_with_strength_and_cidrs_parse() {
    let e = Config::from_yaml(
            &yaml("actions:\n  quarantine: 4\n  add_header: 5\nlists:\n  deny:\n    clients: [10.0.0.0/40]\n"),
            "m.yaml",
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("m.yaml:8: actions.quarantine: 4 is below actions.add_header (5)"),
        "{e}"
    );
    assert!(e.contains("lists.deny.clients[0]"), "{e}");
    let e = Config::from_yaml(&yaml("actions:\n  rejct: 4\n"), "m.yaml").unwrap_err();
    assert!(e.to_string().contains("rejct"), "{e}");
}

#[test]
fn corrupt_score_file_is_a_configuration_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("fitted.yaml");
    std::fs::write(&scores, "scores:\n  HTML_ONLY: 0.3\n  CLICK_HERE: oops\n").unwrap();
    let origin = dir.path().join("moat.yaml");
    let e = Config::from_yaml(
        &yaml("rules:\n  scores: fitted.yaml\n"),
        origin.to_str().unwrap(),
    )
    .unwrap_err()
    .to_string();
    let expected = format!("rules.scores: {}:3: scores.CLICK_HERE:", scores.display());
    assert!(e.contains(&expected), "{e}");
    std::fs::write(&scores, "scores:\n  HTML_ONLY: 0.3\n").unwrap();
    let c = Config::from_yaml(
        &yaml("rules:\n  scores: fitted.yaml\n"),
        origin.to_str().unwrap(),
    )
    .unwrap();
    assert_eq!(c.policy.scores.get("HTML_ONLY"), Some(0.3));
    assert_eq!(c.policy.scores_file.as_deref(), Some(scores.as_path()));
}

#[test]
fn rule_paths_are_relative_to_the_config_file() {
    let c = Config::from_yaml(
        &yaml("rules:\n  files: [builtin:default, local/*.yaml]\n"),
        "/etc/moat/moat.yaml",
    )
    .unwrap();
    assert_eq!(c.policy.rule_files[0].to_str(), Some("builtin:default"));
    assert_eq!(
        c.policy.rule_files[1].to_str(),
        Some("/etc/moat/local/*.yaml")
    );
}
