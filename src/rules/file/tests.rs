use super::*;

const TEXT: &str = "rules:\n  - id: A\n    description: a\n    target: subject\n    regex: x\n    score: 1\n    examples:\n      match:\n        - \"Subject: x\\n\\n\"\n        - |\n          Subject: xx\n\n      no_match:\n        - \"Subject: y\\n\\n\"\n";

#[test]
fn rule_and_example_lines_are_found() {
    assert_eq!(line_of_rule(TEXT, "A"), Some(2));
    assert_eq!(line_of_example(TEXT, 2, "match", 0), Some(9));
    assert_eq!(line_of_example(TEXT, 2, "match", 1), Some(10));
    assert_eq!(line_of_example(TEXT, 2, "no_match", 0), Some(14));
}

#[test]
fn unknown_rule_key_names_line() {
    let e = parse("rules:\n  - id: A\n    descripton: x\n", "r.yaml").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("descripton"), "{}", e.message);
}
