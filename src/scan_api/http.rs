//! The HTTP/1.x that rspamd's clients speak to a scanner: one request per connection, its
//! body sized by `Content-Length`, answered with `Connection: close`. Sans-I/O: `parse_head`
//! takes the bytes of a complete head, so every case is a unit test (and the fuzz target
//! `scan_api_head`).

/// Longest request head accepted. rspamd's headers are short, but a message to many
/// recipients carries one `Rcpt` header per recipient.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields kept (one per recipient, plus a dozen).
pub const MAX_HEADERS: usize = 1100;

#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Names lower-cased, values trimmed; in order (several `Rcpt` fields are kept).
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first field called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body length the client announced; `Err` for a malformed, repeated or chunked one.
    pub fn content_length(&self) -> Result<Option<usize>, &'static str> {
        if self.header("transfer-encoding").is_some() {
            return Err("transfer-encoding is not supported; send Content-Length");
        }
        let mut values = self.all("content-length");
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err("more than one Content-Length");
        }
        if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err("malformed Content-Length");
        }
        first
            .parse()
            .map(Some)
            .map_err(|_| "malformed Content-Length")
    }
}

/// Length of the head through its blank line, once complete.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n").map(|i| i + 4)
}

/// Parses a complete head.
pub fn parse_head(head: &[u8]) -> Result<Head, &'static str> {
    // Header values (a file name, a HELO) may be Latin-1 from old clients: kept lossily.
    let head = String::from_utf8_lossy(head);
    let head = head.strip_suffix("\r\n\r\n").unwrap_or(&head);
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
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
    let mut headers = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err("folded header lines are not accepted");
        }
        let (name, value) = line.split_once(':').ok_or("header line without a colon")?;
        if !is_token(name) {
            return Err("malformed header name");
        }
        let value = value.trim_matches([' ', '\t']);
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err("control character in a header value");
        }
        if headers.len() == MAX_HEADERS {
            return Err("too many header fields");
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or("").to_string(),
        headers,
    })
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
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
