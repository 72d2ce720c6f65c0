use super::*;
use crate::config::action::Action;

fn config(extra: &str) -> Config {
    let yaml = format!(
        "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n{extra}"
    );
    Config::from_yaml(&yaml, "t.yaml").unwrap()
}

fn rules(text: &str) -> RuleSet {
    let source = crate::rules::Source {
        origin: "r.yaml".into(),
        text: text.into(),
    };
    RuleSet::compile(vec![source]).unwrap()
}

const RULES: &str = "rules:\n  - id: CHEAP\n    description: d\n    target: subject\n    regex: cheap\n    score: 2.5\n  - id: EICAR_LIKE\n    description: d\n    target: body\n    regex: eicar\n    score: 0\n    force: reject\n  - id: __PART\n    description: d\n    target: body\n    regex: part\n    score: 1\n";

#[test]
fn rules_score_and_force_are_table_entries() {
    let s = Scoring::build(&config(""), &rules(RULES), None, None);
    let t = s.now();
    let cheap = t.get("CHEAP").unwrap();
    assert_eq!(
        (cheap.stage, cheap.score, cheap.force),
        (Stage::Data, 2.5, None)
    );
    assert_eq!(t.get("EICAR_LIKE").unwrap().force, Some(Action::Reject));
    assert!(t.get("__PART").is_none(), "building blocks report nothing");
    assert_eq!(
        t.get("SPF_FAIL").unwrap().score,
        3.0,
        "the config's entries kept"
    );
}

#[test]
fn score_file_has_the_last_word_over_rule_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), "scores:\n  CHEAP: 0.5\n").unwrap();
    let mut c = config("");
    c.policy.scores = Arc::new(ScoreTable::load(&dir.path().join("s.yaml")).unwrap());
    let pack = ScoreTable::parse("scores:\n  CHEAP: 7\n", "p.yaml").unwrap();
    let handle = Arc::new(Handle::Fixed(None));
    let s = Scoring::build(&c, &rules(RULES), Some(&pack), Some(handle));
    assert_eq!(s.now().get("CHEAP").unwrap().score, 0.5);
    assert_eq!(s.table().get("CHEAP").unwrap().score, 0.5);
    let e = s.now().get("EICAR_LIKE").unwrap();
    assert_eq!(e.force, Some(Action::Reject));
}

/// With a classifier configured but no model loaded, the pack's rules-alone scores are in
/// force; the rules' own entries otherwise.
#[test]
fn rules_alone_scores_while_no_model_is_loaded() {
    let pack = ScoreTable::parse("scores:\n  CHEAP: 7\n", "p.yaml").unwrap();
    let off = Arc::new(Handle::Fixed(None));
    let s = Scoring::build(&config(""), &rules(RULES), Some(&pack), Some(off));
    assert_eq!(s.now().get("CHEAP").unwrap().score, 7.0);
    assert_eq!(s.table().get("CHEAP").unwrap().score, 2.5);
    let s = Scoring::build(&config(""), &rules(RULES), Some(&pack), None);
    assert_eq!(
        s.now().get("CHEAP").unwrap().score,
        2.5,
        "no classifier configured"
    );
}

/// A rule cannot take over an id the configuration decides (e.g. `auth.policy`).
#[test]
fn configured_entries_beat_a_rule_of_the_same_id() {
    let c = config("auth:\n  policy:\n    SPF_FAIL: {action: tempfail}\n");
    let r = rules(
        "rules:\n  - id: SPF_FAIL\n    description: d\n    target: body\n    regex: x\n    score: 9\n",
    );
    let s = Scoring::build(&c, &r, None, None);
    let e = s.now().get("SPF_FAIL").unwrap();
    assert_eq!(e.force, Some(Action::Tempfail));
    assert_ne!(e.score, 9.0);
}
