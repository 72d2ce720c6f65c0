use super::*;

fn parse(s: &str) -> Reply {
    let (r, n) = parse_reply(s.as_bytes()).unwrap().unwrap();
    assert_eq!(n, s.len(), "consumed the whole reply");
    r
}

#[test]
fn single_line_with_enhanced_code() {
    let r = parse("250 2.1.0 Ok\r\n");
    assert_eq!(r, Reply::status(250, 1, 0, "Ok"));
}

#[test]
fn single_line_without_enhanced_code() {
    assert_eq!(
        parse("220 mx.test ESMTP\r\n"),
        Reply::new(220, None, "mx.test ESMTP")
    );
}

#[test]
fn bare_code_is_a_last_line() {
    assert_eq!(parse("250\r\n"), Reply::new(250, None, ""));
}

#[test]
fn multiline_strips_repeated_enhanced_code() {
    let r = parse("550-5.7.1 Go away\r\n550-5.7.1 really\r\n550 5.7.1 now\r\n");
    assert_eq!(r.code, 550);
    assert_eq!(r.enhanced, Some(Enhanced(5, 7, 1)));
    assert_eq!(r.lines, ["Go away", "really", "now"]);
}

#[test]
fn ehlo_capabilities_are_lines() {
    let r = parse("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
    assert_eq!(r.enhanced, None);
    assert_eq!(r.lines, ["mx.test", "PIPELINING", "SIZE 1000", "8BITMIME"]);
}

#[test]
fn enhanced_code_class_must_match_reply_class() {
    let r = parse("450 5.1.1 odd\r\n");
    assert_eq!(r.enhanced, None);
    assert_eq!(r.lines, ["5.1.1 odd"]);
}

#[test]
fn enhanced_code_alone_on_the_line() {
    let r = parse("250 2.0.0\r\n");
    assert_eq!(r.enhanced, Some(Enhanced(2, 0, 0)));
    assert_eq!(r.lines, [""]);
}

#[test]
fn not_an_enhanced_code() {
    for text in [
        "2.0 x",
        "2.0.0.0 x",
        "2.1000.0 x",
        "2.a.0 x",
        "22.0.0 x",
        "2..0 x",
    ] {
        assert_eq!(parse(&format!("250 {text}\r\n")).enhanced, None, "{text}");
    }
}

#[test]
fn bare_lf_is_tolerated() {
    let r = parse("250-a\n250 b\n");
    assert_eq!(r.lines, ["a", "b"]);
}

#[test]
fn incomplete_reply_needs_more_bytes() {
    for s in ["", "25", "250-a\r\n", "250-a\r\n250 b", "250 b\r"] {
        assert_eq!(parse_reply(s.as_bytes()), Ok(None), "{s:?}");
    }
}

#[test]
fn only_the_first_reply_is_consumed() {
    let buf = b"250 2.1.5 one\r\n452 4.5.3 two\r\n";
    let (r, n) = parse_reply(buf).unwrap().unwrap();
    assert_eq!(r.code, 250);
    assert_eq!(&buf[n..], b"452 4.5.3 two\r\n");
}

#[test]
fn mixed_codes_are_an_error() {
    assert_eq!(
        parse_reply(b"250-a\r\n251 b\r\n"),
        Err(ReplyError::MixedCodes(250, 251))
    );
}

#[test]
fn malformed_lines_are_errors() {
    for s in [
        "hello\r\n",
        "25\r\n",
        "2500 x\r\n",
        "250x\r\n",
        "650 x\r\n",
        "150 x\r\n",
        "\r\n",
    ] {
        assert!(
            matches!(parse_reply(s.as_bytes()), Err(ReplyError::BadLine(_))),
            "{s:?}"
        );
    }
}

#[test]
fn control_characters_do_not_survive() {
    let r = parse("550 5.0.0 a\x00b\x1bc\r\n");
    assert_eq!(r.lines, ["a b c"]);
}

#[test]
fn invalid_utf8_is_replaced() {
    let (r, _) = parse_reply(b"550 caf\xe9\r\n").unwrap().unwrap();
    assert_eq!(r.lines, ["caf\u{fffd}"]);
}

#[test]
fn too_many_lines() {
    let buf = "250-x\r\n".repeat(MAX_REPLY_LINES) + "250 x\r\n";
    assert_eq!(parse_reply(buf.as_bytes()), Err(ReplyError::TooManyLines));
    let ok = "250-x\r\n".repeat(MAX_REPLY_LINES - 1) + "250 x\r\n";
    assert_eq!(parse(&ok).lines.len(), MAX_REPLY_LINES);
}

#[test]
fn unterminated_line_over_limit() {
    let buf = "250 ".to_string() + &"x".repeat(MAX_REPLY_BYTES);
    assert_eq!(parse_reply(buf.as_bytes()), Err(ReplyError::TooLong));
}

#[test]
fn complete_reply_over_limit() {
    let line = format!("250-{}\r\n", "x".repeat(1000));
    let buf = line.repeat(70) + "250 x\r\n";
    assert_eq!(parse_reply(buf.as_bytes()), Err(ReplyError::TooLong));
}
