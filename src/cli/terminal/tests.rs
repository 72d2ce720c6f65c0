use super::*;

#[test]
fn field_escapes_every_control_class() {
    let hostile = "a\x1b]0;pwned\x07b\tc\r\nd\x7fe\u{9b}31mf\u{202e}gnp.exe\u{2066}\u{2028}";
    let safe = field(hostile);
    assert_terminal_safe(&safe, &[]);
    assert_eq!(
        safe,
        "a\\x1b]0;pwned\\x07b\\tc\\r\\nd\\x7fe\\x9b31mf\\u{202e}gnp.exe\\u{2066}\\u{2028}"
    );
}

#[test]
fn field_leaves_ordinary_text_alone() {
    let text = "Grüße — 你好, price: 5€ (50% off!) \\ backslash";
    assert!(matches!(field(text), Cow::Borrowed(_)));
}

#[test]
fn message_keeps_crlf_lines_and_escapes_the_rest() {
    let raw =
        b"Subject: hi\x1b[2J\r\n\tfolded\r\n\r\nbare\rCR, bare\nLF, \xc2\x9b C1, \xff raw\r\n";
    let shown = message(raw);
    assert_terminal_safe(&shown, &['\n', '\t']);
    assert_eq!(
        shown,
        "Subject: hi\\x1b[2J\n\tfolded\n\nbare\\rCR, bare\\n\nLF, \\x9b C1, \\xff raw\n"
    );
}
