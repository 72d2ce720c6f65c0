use super::*;

#[test]
fn header_fields_keep_folding_and_drop_the_leading_blank() {
    let f = header_fields("X-Spam-Flag: YES\r\nX-Spam-Status: No, score=1\r\n\ttests=A\r\n");
    assert_eq!(f[0], ("X-Spam-Flag".into(), "YES".into()));
    assert_eq!(f[1].1, "No, score=1\r\n\ttests=A");
}

#[test]
fn references_are_twelve_readable_characters_and_differ() {
    let (a, b) = (new_reference(), new_reference());
    assert_eq!(a.len(), 12);
    assert_ne!(a, b);
}
