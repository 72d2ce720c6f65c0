//! Just enough HTTP/1.1 for the admin endpoints: one bounded request per connection, no
//! body read, `Connection: close`. Prometheus, kubelet probes and curl need nothing more.
//! Sans-I/O: the parser takes the bytes of a complete head, so every case is a unit test
//! (and a fuzz target, `fuzz/fuzz_targets/admin_request.rs`).

/// Longest request head accepted (request line + headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// Most header fields kept; a head with more is refused (the 8 KiB bound already limits
/// memory, this keeps lookups short).
pub const MAX_HEADERS: usize = 64;

/// An admin request: its method, path and header fields (`crate::http_head`).
pub type Request = crate::http_head::Head;
pub use crate::http_head::head_len;
use crate::http_head::reason;

/// Parses a complete head; the admin endpoints take UTF-8 only.
pub fn parse(head: &[u8]) -> Result<Request, &'static str> {
    let head = std::str::from_utf8(head).map_err(|_| "request head is not UTF-8")?;
    crate::http_head::parse(head, MAX_HEADERS)
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Extra header lines (without CRLF), e.g. `Allow: GET`.
    pub headers: Vec<String>,
}

impl Response {
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for h in &self.headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_is_parsed_and_query_dropped() {
        let head = b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(head_len(head), Some(head.len()));
        let r = parse(head).unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/metrics"));
    }

    #[test]
    fn malformed_request_lines_are_refused() {
        assert!(parse(b"GET /metrics\r\n\r\n").is_err());
        assert!(parse(b"GET / HTTP/2\r\n\r\n").is_err());
        assert!(parse(b"GET  / HTTP/1.1\r\n\r\n").is_err());
        assert!(parse(b"\r\n\r\n").is_err());
        assert!(parse(b"G(T / HTTP/1.1\r\n\r\n").is_err());
        assert!(parse(b"GET x HTTP/1.1\r\n\r\n").is_err());
        assert_eq!(head_len(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn admin_header_fields_are_parsed_with_lowercase_names() {
        let head = b"POST /reload HTTP/1.1\r\nHost: a:1\r\nX-Moat-Reload:  1 \r\nContent-Length: 0\r\n\r\n";
        let r = parse(head).unwrap();
        assert_eq!(r.header("host"), Some("a:1"));
        assert_eq!(r.header("x-moat-reload"), Some("1"));
        assert_eq!(r.header("content-length"), Some("0"));
        assert_eq!(r.header("origin"), None);
    }

    #[test]
    fn admin_malformed_header_fields_are_refused() {
        let bad: [&[u8]; 6] = [
            b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
            b"GET / HTTP/1.1\r\n: a\r\n\r\n",
        ];
        for head in bad {
            assert!(parse(head).is_err(), "{}", String::from_utf8_lossy(head));
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse(head.as_bytes()), Err("too many header fields"));
    }

    #[test]
    fn response_closes_the_connection_and_counts_bytes() {
        let bytes = Response::text(200, "ok\n").to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 3\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\nok\n"));
    }
}
