use super::*;

#[test]
fn host_strips_userinfo_and_port() {
    assert_eq!(
        host("http://paypal.com@198.51.100.7:8080/x").unwrap(),
        "198.51.100.7"
    );
    assert_eq!(host("www.Example.test/a").unwrap(), "www.example.test");
}

/// Found by `fuzz/run.sh pipeline` (seed `regression-uri-href-char-boundary`): a `src`
/// or `href` whose fourth byte falls inside a multi-byte character panicked the whole
/// message pipeline, in release builds too.
#[test]
fn href_with_multibyte_char_across_byte_four_does_not_panic() {
    let (mut uris, mut mismatches) = (Vec::new(), Vec::new());
    let html = vec![
        "<img src=\"x.\u{20ac}ng\"><img src=\"日本.png\"><a href=\"http://a.test/\">x</a>"
            .to_string(),
    ];
    collect([""], &html, &mut uris, &mut mismatches);
    assert_eq!(uris, ["http://a.test/"]);
}

#[test]
fn matching_link_text_is_not_a_mismatch() {
    assert_eq!(mismatch("https://www.bank.test/x", "bank.test"), None);
    assert_eq!(mismatch("https://a.test/x", "click here"), None);
    assert_eq!(
        mismatch("https://evil.test/x", "https://www.bank.com").as_deref(),
        Some("www.bank.com -> evil.test")
    );
}
