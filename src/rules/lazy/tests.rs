use super::*;

#[test]
fn syntax_errors_are_found_when_the_rule_is_loaded() {
    let e = LazyRegex::new("(unclosed".into()).unwrap_err();
    assert!(e.contains("unclosed"), "{e}");
}

#[test]
fn compiles_on_first_use_and_matches() {
    let re = LazyRegex::new(r"(?i)free\s+gift".into()).unwrap();
    assert!(re.compiled.get().is_none());
    assert!(re.get().unwrap().is_match("a FREE  gift"));
    assert!(re.compiled.get().is_some());
}
