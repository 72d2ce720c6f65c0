use super::*;

#[test]
fn score_file_overrides_only_the_ids_it_names() {
    let t = ScoreTable::parse("scores:\n  A_RULE: 1.5\n  BAYES_99: -0.25\n", "s.yaml").unwrap();
    let mut f = vec![
        Finding {
            id: "A_RULE".into(),
            score: 3.0,
            reason: String::new(),
            force: None,
        },
        Finding {
            id: "OTHER".into(),
            score: 2.0,
            reason: String::new(),
            force: None,
        },
    ];
    t.apply(&mut f);
    assert_eq!((f[0].score, f[1].score), (1.5, 2.0));
    assert_eq!(t.get("BAYES_99"), Some(-0.25));
}
