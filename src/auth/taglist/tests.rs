use super::*;

fn parse(text: &str) -> Result<Vec<(String, String)>, TagError> {
    TagList::parse(text.as_bytes()).map(|l| {
        l.tags
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    })
}

#[test]
fn tag_list_reads_folded_values_and_one_trailing_semicolon() {
    let list = parse(" v=1; a=rsa-sha256;\r\n\tb=abc\r\n def ; h = from : to;\r\n").unwrap();
    assert_eq!(list[0], ("v".into(), "1".into()));
    assert_eq!(list[2], ("b".into(), "abc\r\n def".into()));
    assert_eq!(list[3], ("h".into(), "from : to".into()));
    let l = TagList::parse(b"b=ab\r\n cd; bh=").unwrap();
    assert_eq!(l.compact("b").unwrap(), b"abcd");
    assert_eq!(
        l.get("bh"),
        Some(&b""[..]),
        "an empty value is valid grammar"
    );
}

#[test]
fn tag_list_duplicate_tag_invalidates_the_whole_list() {
    assert_eq!(
        parse("s=a; d=x.test; s=b"),
        Err(TagError::Duplicate("s".into()))
    );
    assert_eq!(
        parse("i=1; i=1"),
        Err(TagError::Duplicate("i".into())),
        "even with the same value"
    );
}

#[test]
fn tag_list_names_are_case_sensitive() {
    let l = TagList::parse(b"S=sel; d=x.test").unwrap();
    assert_eq!(l.get("s"), None, "S= is another tag than s=");
    assert_eq!(l.text("S"), Some("sel"));
    // Different case is not a duplicate.
    assert!(parse("s=a; S=b").is_ok());
}

#[test]
fn tag_list_empty_tag_specs_are_invalid() {
    assert_eq!(parse("a=1;; b=2"), Err(TagError::EmptySpec));
    assert_eq!(parse("; a=1"), Err(TagError::EmptySpec));
    assert_eq!(parse("a=1; ;"), Err(TagError::EmptySpec));
    assert_eq!(parse(""), Err(TagError::EmptySpec));
    assert_eq!(parse(" \r\n "), Err(TagError::EmptySpec));
    assert!(parse("a=1;").is_ok());
    assert!(parse("a=1; \r\n").is_ok());
}

#[test]
fn tag_list_invalid_names_and_specs() {
    assert_eq!(parse("1a=x"), Err(TagError::BadName("1a".into())));
    assert_eq!(parse("a-b=x"), Err(TagError::BadName("a-b".into())));
    assert_eq!(parse("=x"), Err(TagError::BadName("".into())));
    assert_eq!(parse("a b=x"), Err(TagError::BadName("a?b".into())));
    assert_eq!(
        parse("a=1; novalue"),
        Err(TagError::NoEquals("novalue".into()))
    );
    assert!(parse("a_1=x; Z9=y").is_ok());
}

#[test]
fn tag_list_values_reject_control_characters() {
    assert_eq!(parse("a=x\x01y"), Err(TagError::BadValue("a".into())));
    assert_eq!(parse("a=x\x7f"), Err(TagError::BadValue("a".into())));
    assert!(parse("a=x=y").is_ok(), "= is a VALCHAR");
    assert!(parse("d=b\u{fc}cher.test").is_ok(), "UTF-8 (RFC 8616)");
}

#[test]
fn tag_list_errors_read_well() {
    assert_eq!(
        TagError::Duplicate("s".into()).to_string(),
        "tag s= appears twice"
    );
    assert_eq!(TagError::EmptySpec.to_string(), "empty tag-spec");
}
