use super::*;

#[test]
fn corrupt_score_file_names_file_line_and_key() {
    let e = ScoreTable::parse("scores:\n  GOOD: 1\n  BAD: lots\n", "s.yaml").unwrap_err();
    assert_eq!(e.len(), 1);
    let text = e[0].to_string();
    assert!(text.starts_with("s.yaml:3: scores.BAD: "), "{text}");
    let e =
        ScoreTable::parse("scores:\n  GOOD: 1\n  bad_id: 2\n  HUGE: 1e9\n", "s.yaml").unwrap_err();
    let all: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    assert!(
        all.iter().any(|t| t.starts_with("s.yaml:3: scores.bad_id")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|t| t.starts_with("s.yaml:4: scores.HUGE")),
        "{all:?}"
    );
    let e = ScoreTable::parse("score:\n  A: 1\n", "s.yaml").unwrap_err();
    assert!(
        e[0].to_string().contains("unknown field `score`"),
        "{:?}",
        e
    );
}
