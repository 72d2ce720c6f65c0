//! RESP2, the Redis wire protocol, without I/O: `encode` writes a command, `parse` reads one
//! reply from a buffer (or says it needs more bytes). Every length is bounded so a broken or
//! hostile server cannot make Moat allocate without limit.

/// Largest bulk string accepted (a classifier model is the biggest value Moat stores).
pub const MAX_BULK: usize = 256 * 1024 * 1024;
/// Most elements in one array reply (Moat's replies have a handful).
pub const MAX_ARRAY: usize = 1024;
/// Deepest nesting of arrays (EXEC returns an array of replies: depth 2).
pub const MAX_DEPTH: usize = 4;
/// Longest simple string, error or integer line.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(String),
    Error(String),
    Int(i64),
    /// `None` is the null bulk string (`$-1`): a missing key.
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Value>>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RespError {
    #[error("malformed reply: {0}")]
    Malformed(&'static str),
    #[error("reply exceeds a limit: {0}")]
    TooLarge(&'static str),
}

/// Appends one command (an array of bulk strings) to `out`.
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// One reply from the start of `buf`: `Ok(Some((value, bytes used)))`, or `Ok(None)` when
/// `buf` holds only part of it.
pub fn parse(buf: &[u8]) -> Result<Option<(Value, usize)>, RespError> {
    parse_at(buf, 0)
}

fn parse_at(buf: &[u8], depth: usize) -> Result<Option<(Value, usize)>, RespError> {
    let Some((line, used)) = line(buf)? else {
        return Ok(None);
    };
    let (kind, text) = line
        .split_first()
        .ok_or(RespError::Malformed("empty line"))?;
    let text_str = || std::str::from_utf8(text).map_err(|_| RespError::Malformed("not UTF-8"));
    match kind {
        b'+' => Ok(Some((Value::Simple(text_str()?.to_string()), used))),
        b'-' => Ok(Some((Value::Error(text_str()?.to_string()), used))),
        b':' => Ok(Some((Value::Int(number(text)?), used))),
        b'$' => bulk(buf, number(text)?, used),
        b'*' => array(buf, number(text)?, used, depth),
        _ => Err(RespError::Malformed("unknown type byte")),
    }
}

/// The first CRLF-terminated line, without its CRLF, and the bytes it spans.
fn line(buf: &[u8]) -> Result<Option<(&[u8], usize)>, RespError> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(end) if end > MAX_LINE => Err(RespError::TooLarge("line")),
        Some(end) => Ok(Some((&buf[..end], end + 2))),
        None if buf.len() > MAX_LINE + 1 => Err(RespError::TooLarge("line")),
        None => Ok(None),
    }
}

fn number(text: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(RespError::Malformed("bad integer"))
}

fn bulk(buf: &[u8], len: i64, start: usize) -> Result<Option<(Value, usize)>, RespError> {
    if len == -1 {
        return Ok(Some((Value::Bulk(None), start)));
    }
    let len = usize::try_from(len).map_err(|_| RespError::Malformed("negative length"))?;
    if len > MAX_BULK {
        return Err(RespError::TooLarge("bulk string"));
    }
    let end = start + len;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err(RespError::Malformed("bulk string not followed by CRLF"));
    }
    Ok(Some((Value::Bulk(Some(buf[start..end].to_vec())), end + 2)))
}

fn array(
    buf: &[u8],
    len: i64,
    start: usize,
    depth: usize,
) -> Result<Option<(Value, usize)>, RespError> {
    if len == -1 {
        return Ok(Some((Value::Array(None), start)));
    }
    let len = usize::try_from(len).map_err(|_| RespError::Malformed("negative length"))?;
    if len > MAX_ARRAY {
        return Err(RespError::TooLarge("array"));
    }
    if depth >= MAX_DEPTH {
        return Err(RespError::TooLarge("nesting"));
    }
    let mut items = Vec::with_capacity(len);
    let mut at = start;
    for _ in 0..len {
        match parse_at(&buf[at..], depth + 1)? {
            Some((v, used)) => {
                items.push(v);
                at += used;
            }
            None => return Ok(None),
        }
    }
    Ok(Some((Value::Array(Some(items)), at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp_encodes_commands_as_bulk_arrays() {
        let mut out = Vec::new();
        encode(&[b"SET", b"k", b"a\r\nb"], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
    }

    #[test]
    fn resp_parses_every_reply_type() {
        let input = b"+OK\r\n-ERR no\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n*-1\r\n";
        let mut at = 0;
        let mut got = Vec::new();
        while let Some((v, used)) = parse(&input[at..]).unwrap() {
            got.push(v);
            at += used;
        }
        assert_eq!(at, input.len());
        assert_eq!(
            got,
            [
                Value::Simple("OK".into()),
                Value::Error("ERR no".into()),
                Value::Int(42),
                Value::Bulk(Some(b"abc".to_vec())),
                Value::Bulk(None),
                Value::Array(Some(vec![Value::Int(1), Value::Array(None)])),
            ]
        );
    }

    #[test]
    fn resp_partial_input_asks_for_more() {
        let full = b"*2\r\n$5\r\nhello\r\n:7\r\n";
        for cut in 0..full.len() {
            assert_eq!(parse(&full[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(full).unwrap().is_some());
    }

    #[test]
    fn resp_refuses_oversized_and_malformed_replies() {
        assert!(parse(b"$999999999999\r\n").is_err());
        assert!(parse(b"*100000\r\n").is_err());
        assert!(parse(b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n").is_err());
        assert!(parse(b"$3\r\nabcX\r\n").is_err());
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b":x\r\n").is_err());
        assert!(parse(&vec![b'+'; MAX_LINE + 10]).is_err());
    }
}
