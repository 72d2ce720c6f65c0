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
mod tests;
