//! The HTTP/1.x request head Moat's two small HTTP listeners read — the admin endpoints and
//! the rspamd-compatible scan API: one request per connection, `Connection: close`, no
//! folding, no chunking. Sans-I/O: the parser takes the text of a complete head, so every
//! case is a unit test (and the fuzz targets `admin_request` and `scan_api_head`). Each
//! listener keeps its own bounds and its own answer to bytes that are not UTF-8.

#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Header fields in order: names lower-cased, values trimmed of surrounding blanks
    /// (a repeated field, e.g. one `Rcpt` per recipient, is kept each time).
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The value of the first header field called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the fields called `name` (lower case), in order.
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

/// Length of the request head through its blank line, once complete.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n").map(|i| i + 4)
}

/// Parses a complete head (request line and header fields, CRLF-separated), keeping at most
/// `max_headers` fields: a head with more is refused.
pub fn parse(head: &str, max_headers: usize) -> Result<Head, &'static str> {
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
    Ok(Head {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or("").to_string(),
        headers: header_fields(lines, max_headers)?,
    })
}

/// `name: value` lines. Obsolete line folding and control characters are refused (RFC 9112
/// 5.2 allows refusing them, and a proxy in front might read them differently).
fn header_fields<'a>(
    lines: impl Iterator<Item = &'a str>,
    max_headers: usize,
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
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err("control character in a header value");
        }
        if out.len() == max_headers {
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

/// The reason phrase of the status codes Moat's listeners answer with.
pub fn reason(status: u16) -> &'static str {
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
