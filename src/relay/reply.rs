//! Parsing of backend replies: a pure function over the bytes read so far, so every malformed
//! or hostile reply is a unit test without a socket.

use crate::smtp::{Enhanced, Reply};

/// Most lines one reply may have. EHLO answers are the longest real replies (~20 lines).
pub const MAX_REPLY_LINES: usize = 512;
/// Most bytes one reply may take. Bounds the read buffer: a backend that never finishes a reply
/// cannot make Moat buffer without end.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why bytes from a backend are not an SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("malformed reply line {0}")]
    BadLine(String),
    #[error("reply lines carry different codes ({0} then {1})")]
    MixedCodes(u16, u16),
    #[error("reply has more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
    #[error("reply is longer than {MAX_REPLY_BYTES} bytes")]
    TooLong,
}

/// Parses one reply from the start of `buf`.
///
/// Returns `Ok(None)` while the reply is incomplete, `Ok(Some((reply, consumed)))` once its last
/// line (`NNN ` or a bare `NNN`) has arrived. Lines end in CRLF; a bare LF is tolerated because
/// some backends send it and it is unambiguous here (Moat only reads, never forwards, this
/// framing). The enhanced status code is taken from the first line and removed from every line
/// that repeats it, so that Moat's own `Reply::write_to` does not print it twice.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    let mut code = None;
    let mut texts: Vec<String> = Vec::new();
    loop {
        let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
            if buf.len() > MAX_REPLY_BYTES {
                return Err(ReplyError::TooLong);
            }
            return Ok(None);
        };
        let end = pos + nl + 1;
        if end > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLong);
        }
        let raw = &buf[pos..pos + nl];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (line_code, last, text) = parse_line(line)?;
        match code {
            None => code = Some(line_code),
            Some(c) if c != line_code => return Err(ReplyError::MixedCodes(c, line_code)),
            Some(_) => {}
        }
        if texts.len() == MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines);
        }
        texts.push(String::from_utf8_lossy(text).into_owned());
        pos = end;
        if last {
            break;
        }
    }
    let code = code.expect("a complete reply has at least one line");
    let enhanced = parse_enhanced(&texts[0], code).map(|(e, _)| e);
    if let Some(e) = enhanced {
        for text in &mut texts {
            if let Some((this, rest)) = parse_enhanced(text, code)
                && this == e
            {
                *text = rest.to_string();
            }
        }
    }
    Ok(Some((Reply::multiline(code, enhanced, texts), pos)))
}

/// One reply line without its line end: `NNN`, `NNN text` (last line) or `NNN-text`.
fn parse_line(line: &[u8]) -> Result<(u16, bool, &[u8]), ReplyError> {
    let bad = || {
        let shown = &line[..line.len().min(80)];
        ReplyError::BadLine(format!("{:?}", String::from_utf8_lossy(shown)))
    };
    let digits = line.get(..3).ok_or_else(bad)?;
    // RFC 5321 4.2: the first digit is 2-5 for every reply a client can receive.
    if !matches!(digits[0], b'2'..=b'5') || !digits[1..].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None => Ok((code, true, &[])),
        Some(b' ') => Ok((code, true, &line[4..])),
        Some(b'-') => Ok((code, false, &line[4..])),
        Some(_) => Err(bad()),
    }
}

/// An RFC 3463 code `class.subject.detail` at the start of `text`, whose class must match the
/// reply code's first digit; returns it and the text after it.
fn parse_enhanced(text: &str, code: u16) -> Option<(Enhanced, &str)> {
    let (token, rest) = match text.split_once(' ') {
        Some((t, r)) => (t, r),
        None => (text, ""),
    };
    let mut parts = token.split('.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |s: &str, max_len: usize| -> Option<u16> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let class = number(class, 1)?;
    if class != code / 100 {
        return None;
    }
    let e = Enhanced(class as u8, number(subject, 3)?, number(detail, 3)?);
    Some((e, rest))
}

#[cfg(test)]
mod tests {
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
}
