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
mod tests;
