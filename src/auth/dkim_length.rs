//! `l=` (RFC 6376 3.5): a signature that covers only the first `l` octets of the canonical
//! body leaves the rest unsigned, and anyone can append to it (8.2: a link, a new MIME
//! part). Such a signature still verifies; Moat reports it as `policy` (RFC 8601 2.7.1:
//! signed, but not acceptable to the verifier) with how much is unsigned, so it never
//! counts for DMARC and `DKIM_POLICY` in `auth.policy` decides what it costs. An `l=` that
//! covers the whole body is an ordinary pass.

use mail_auth::dkim::Canonicalization;

/// The reason a passing signature with `l=` is not acceptable, if it is not: the canonical
/// body is longer than `l`.
pub fn unsigned_tail(body: &[u8], l: u64, canon: Canonicalization) -> Option<String> {
    if l == 0 {
        return None;
    }
    let len = canonical_len(body, canon == Canonicalization::Relaxed) as u64;
    (len > l).then(|| {
        format!(
            "l={l} leaves {} of {len} body octets unsigned, RFC 6376 8.2",
            len - l
        )
    })
}

/// Length of the canonical body: simple (3.4.3) keeps every octet but trailing empty lines
/// and is at least one CRLF; relaxed (3.4.4) also turns runs of WSP into one space, drops
/// WSP at line ends, and is empty for an empty body.
pub fn canonical_len(body: &[u8], relaxed: bool) -> usize {
    let mut lines: Vec<usize> = Vec::new();
    let trimmed = body.strip_suffix(b"\r\n").unwrap_or(body);
    if !body.is_empty() {
        for line in trimmed.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.push(if relaxed {
                relaxed_len(line)
            } else {
                line.len()
            });
        }
    }
    while lines.last() == Some(&0) {
        lines.pop();
    }
    match (lines.is_empty(), relaxed) {
        (true, true) => 0,
        (true, false) => 2,
        (false, _) => lines.iter().map(|n| n + 2).sum(),
    }
}

/// One line's relaxed length: WSP runs count as one space, none at the end.
fn relaxed_len(line: &[u8]) -> usize {
    let mut len = 0;
    let mut pending_space = false;
    for &b in line {
        if b == b' ' || b == b'\t' {
            pending_space = true;
        } else {
            len += usize::from(pending_space) + 1;
            pending_space = false;
        }
    }
    len
}

#[cfg(test)]
mod tests;
