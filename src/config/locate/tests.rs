use super::*;

const DOC: &str = "hostname: a\n# comment\nlisten:\n  - 127.0.0.1:25\n  - bad\nbackend:\n  protocol: smtp\n  timeouts:\n    connect: 1s\nlimits:\n  timeouts:\n    connect: 9s\n";

#[test]
fn finds_nested_keys_and_list_items() {
    assert_eq!(line_of(DOC, "hostname"), Some(1));
    assert_eq!(line_of(DOC, "listen[1]"), Some(5));
    assert_eq!(line_of(DOC, "backend.protocol"), Some(7));
    assert_eq!(line_of(DOC, "backend.timeouts.connect"), Some(9));
    assert_eq!(line_of(DOC, "limits.timeouts.connect"), Some(12));
    assert_eq!(line_of(DOC, "backend.address"), Some(6));
    assert_eq!(line_of(DOC, "nothing"), None);
}
