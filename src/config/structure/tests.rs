use super::*;

fn keys(text: &str) -> Vec<String> {
    let s = parse(text, "t.yaml");
    s.errors
        .iter()
        .map(|e| format!("{}:{}", e.line.unwrap_or(0), e.key))
        .collect()
}

#[test]
fn config_type_errors_are_all_reported_not_only_the_first() {
    let text = "hostname: mx.test\nlimits:\n  max_recipients: lots\n  max_connections: -1\n  timeouts:\n    command: soon\nlog:\n  format: xml\nbogus: 1\n";
    assert_eq!(
        keys(text),
        [
            "3:limits.max_recipients",
            "4:limits.max_connections",
            "6:limits.timeouts.command",
            "8:log.format",
            "9:bogus",
        ]
    );
}

#[test]
fn config_errors_in_list_items_keep_their_written_index() {
    let text = "listen:\n  - 1\n  - [2]\n  - 127.0.0.1:25\n  - {a: b}\n";
    assert_eq!(keys(text), ["2:listen[0]", "3:listen[1]", "5:listen[3]"]);
    let s = parse(text, "t.yaml");
    assert_eq!(s.raw.unwrap().listen, ["127.0.0.1:25"]);
}

#[test]
fn config_dropped_keys_cover_their_parents_and_children() {
    let s = parse("backend:\n  address: x\n", "t.yaml");
    assert_eq!(s.errors[0].key, "backend");
    assert!(s.errors[0].message.contains("missing field `protocol`"));
    assert!(covers(&s.dropped, "backend") && covers(&s.dropped, "backend.address"));
    assert!(!covers(&s.dropped, "backends") && !covers(&s.dropped, "hostname"));
}

#[test]
fn config_yaml_syntax_error_is_the_only_error() {
    let s = parse("hostname: mx.test\nlimits:\n  a: 'unclosed\n", "t.yaml");
    assert!(s.raw.is_none());
    assert_eq!(s.errors.len(), 1);
    assert!(
        s.errors[0].message.starts_with("not valid YAML"),
        "{:?}",
        s.errors
    );
    assert!(s.errors[0].line.is_some());
}

#[test]
fn config_that_is_not_a_mapping_is_one_error() {
    let s = parse("- a\n- b\n", "t.yaml");
    assert!(s.raw.is_none());
    assert_eq!(s.errors.len(), 1);
}
