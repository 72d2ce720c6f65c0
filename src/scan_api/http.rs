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
mod tests {
    use super::*;

    const RSPAMC: &[u8] = b"POST /checkv2 HTTP/1.0\r\nContent-Length: 34\r\nConnection: close\r\n\
        Ip: 1.2.3.4\r\nHelo: h.example\r\nFrom: s@x.y\r\nRcpt: r@x.y\r\nRcpt: q@x.y\r\n\r\n";

    #[test]
    fn rspamc_head_is_parsed_with_every_rcpt() {
        assert_eq!(head_len(RSPAMC), Some(RSPAMC.len()));
        let h = parse_head(RSPAMC).unwrap();
        assert_eq!((h.method.as_str(), h.path.as_str()), ("POST", "/checkv2"));
        assert_eq!(h.header("ip"), Some("1.2.3.4"));
        assert_eq!(h.all("rcpt").collect::<Vec<_>>(), ["r@x.y", "q@x.y"]);
        assert_eq!(h.content_length(), Ok(Some(34)));
    }

    #[test]
    fn ambiguous_bodies_are_refused() {
        let h =
            |extra: &str| parse_head(format!("POST / HTTP/1.1\r\n{extra}\r\n").as_bytes()).unwrap();
        assert!(
            h("Content-Length: 3\r\nContent-Length: 4\r\n")
                .content_length()
                .is_err()
        );
        assert!(h("Content-Length: +3\r\n").content_length().is_err());
        assert!(
            h("Transfer-Encoding: chunked\r\n")
                .content_length()
                .is_err()
        );
        assert_eq!(h("").content_length(), Ok(None));
    }

    #[test]
    fn malformed_heads_are_refused() {
        for bad in [
            &b"POST /checkv2\r\n\r\n"[..],
            b"POST checkv2 HTTP/1.1\r\n\r\n",
            b"POST / HTTP/2\r\n\r\n",
            b"POST / HTTP/1.1\r\nIp 1\r\n\r\n",
            b"POST / HTTP/1.1\r\nIp: 1\r\n folded\r\n\r\n",
            b"POST / HTTP/1.1\r\nIp: 1\rx\r\n\r\n",
        ] {
            assert!(parse_head(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let many: String = (0..=MAX_HEADERS)
            .map(|i| format!("Rcpt: {i}@x\r\n"))
            .collect();
        assert_eq!(
            parse_head(format!("POST / HTTP/1.1\r\n{many}\r\n").as_bytes()),
            Err("too many header fields")
        );
    }

    #[test]
    fn response_has_length_and_closes() {
        let r = String::from_utf8(response(200, "text/plain", b"pong\r\n")).unwrap();
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(r.contains("Content-Length: 6\r\nConnection: close\r\n\r\npong\r\n"));
    }
}
