use super::*;

#[test]
fn meta_precedence_and_counts() {
    let e = parse("A && (B || !C)").unwrap();
    let f = |set: &'static [&'static str]| move |id: &str| set.contains(&id);
    assert!(e.eval(&f(&["A"])));
    assert!(!e.eval(&f(&["A", "C"])));
    assert!(e.eval(&f(&["A", "B", "C"])));
    let c = parse("2 of [A, B, C] && !D").unwrap();
    assert!(c.eval(&f(&["A", "C"])));
    assert!(!c.eval(&f(&["A"])));
    assert!(!c.eval(&f(&["A", "B", "D"])));
}

#[test]
fn meta_syntax_errors_are_reported() {
    assert!(parse("A &&").is_err());
    assert!(parse("A & B").is_err());
    assert!(parse("(A || B").is_err());
    assert!(parse("2 of A").is_err());
}
