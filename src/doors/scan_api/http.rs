//! The HTTP/1.x that rspamd's clients speak to a scanner: one request per connection, its
//! body sized by `Content-Length`, answered with `Connection: close`. Sans-I/O: `parse_head`
//! takes the bytes of a complete head, so every case is a unit test (and the fuzz target
//! `scan_api_head`).

/// Longest request head accepted. rspamd's headers are short, but a message to many
/// recipients carries one `Rcpt` header per recipient.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields kept (one per recipient, plus a dozen).
pub const MAX_HEADERS: usize = 1100;

use crate::http_head::reason;
pub use crate::http_head::{Head, head_len};

/// Parses a complete head. Header values (a file name, a HELO) may be Latin-1 from old
/// clients: the head is read lossily rather than refused.
pub fn parse_head(head: &[u8]) -> Result<Head, &'static str> {
    crate::http_head::parse(&String::from_utf8_lossy(head), MAX_HEADERS)
}

/// A complete answer, `Connection: close`.
pub fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nServer: moat\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// An error as rspamd words it: `{"error": "…"}`.
pub fn error(status: u16, text: &str) -> Vec<u8> {
    let body = serde_json::json!({ "error": text }).to_string();
    response(status, "application/json", body.as_bytes())
}

/// The fuzz target `scan_api_head`: never panics; an accepted head has no line break or NUL
/// in any header value, and its announced body length parses or is refused consistently.
pub fn fuzz(data: &[u8]) {
    let Some(n) = head_len(data) else {
        return;
    };
    if n > MAX_HEAD {
        return;
    }
    if let Ok(head) = parse_head(&data[..n]) {
        for (name, value) in &head.headers {
            assert!(!value.contains(['\r', '\n', '\0']), "{name}");
        }
        let _ = head.content_length();
    }
}

#[cfg(test)]
mod tests;
