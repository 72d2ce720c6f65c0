//! Just enough HTTP/1.1 for the admin endpoints: one bounded request per connection, no
//! body read, `Connection: close`. Prometheus, kubelet probes and curl need nothing more.
//! Sans-I/O: the parser takes the bytes of a complete head, so every case is a unit test
//! (and a fuzz target, `fuzz/fuzz_targets/admin_request.rs`).

/// Longest request head accepted (request line + headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// Most header fields kept; a head with more is refused (the 8 KiB bound already limits
/// memory, this keeps lookups short).
pub const MAX_HEADERS: usize = 64;

#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Header fields in order: names lower-cased, values trimmed of surrounding blanks.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of the first header field called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Length of the request head through its blank line, once complete.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Parses a complete head (request line and header fields, CRLF-separated).
pub fn parse(head: &[u8]) -> Result<Request, &'static str> {
    let head = std::str::from_utf8(head).map_err(|_| "request head is not UTF-8")?;
    let head = head.strip_suffix("\r\n\r\n").unwrap_or(head);
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    if line.is_empty() {
        return Err("no request line");
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if !is_token(method) {
        return Err("malformed method");
    }
    if !target.starts_with('/') || target.bytes().any(|b| b.is_ascii_control()) {
        return Err("malformed request target");
    }
    if !version.starts_with("HTTP/1.") {
        return Err("unsupported HTTP version");
    }
    let path = target.split('?').next().unwrap_or("");
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        headers: header_fields(lines)?,
    })
}

/// `name: value` lines. Obsolete line folding and bare CR/LF are refused (RFC 9112 5.2
/// allows refusing them, and a proxy in front might read them differently).
fn header_fields<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> Result<Vec<(String, String)>, &'static str> {
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err("folded header lines are not accepted");
        }
        let (name, value) = line.split_once(':').ok_or("header line without a colon")?;
        if !is_token(name) {
            return Err("malformed header name");
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err("control character in a header value");
        }
        if out.len() == MAX_HEADERS {
            return Err("too many header fields");
        }
        out.push((name.to_ascii_lowercase(), value.to_string()));
    }
    Ok(out)
}

/// An RFC 9110 token: method names and header field names.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
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
