use super::*;

#[test]
fn dkim_canonical_body_length_simple_and_relaxed() {
    // RFC 6376 3.4.5's example body.
    let body = b" C \r\nD \t E\r\n\r\n\r\n";
    assert_eq!(canonical_len(body, false), b" C \r\nD \t E\r\n".len());
    assert_eq!(canonical_len(body, true), b" C\r\nD E\r\n".len());
    // Empty bodies: one CRLF (simple), nothing (relaxed).
    assert_eq!(canonical_len(b"", false), 2);
    assert_eq!(canonical_len(b"\r\n\r\n", false), 2);
    assert_eq!(canonical_len(b"", true), 0);
    assert_eq!(canonical_len(b" \r\n\t\r\n", true), 0);
    // A last line without CRLF gets one.
    assert_eq!(canonical_len(b"abc", false), 5);
    assert_eq!(canonical_len(b"abc  ", true), 5);
}

#[test]
fn dkim_l_tag_shorter_than_the_body_is_reported() {
    let body = b"signed\r\nappended\r\n";
    assert_eq!(unsigned_tail(body, 0, Canonicalization::Simple), None);
    assert_eq!(unsigned_tail(body, 18, Canonicalization::Simple), None);
    assert_eq!(
        unsigned_tail(body, 8, Canonicalization::Relaxed).unwrap(),
        "l=8 leaves 10 of 18 body octets unsigned, RFC 6376 8.2"
    );
}
