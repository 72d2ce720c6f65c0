//! Removes incoming `Authentication-Results` fields that claim Moat's authserv-id
//! (RFC 8601 5): a sender could otherwise write `Authentication-Results: <moat>; dkim=pass`
//! and the backend's filters would believe Moat said so. Only the header section is touched,
//! field by field, with folded continuation lines going with their field.

/// The message without forged fields, or `None` when there was nothing to remove (the
/// common case, which then costs no copy).
pub fn strip(message: &[u8], authserv_id: &str) -> Option<Vec<u8>> {
    let header_end = header_end(message);
    let fields = fields(&message[..header_end]);
    let forged: Vec<_> = fields
        .iter()
        .filter(|f| claims(&message[f.0..f.1], authserv_id))
        .collect();
    if forged.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    for &&(start, end) in &forged {
        out.extend_from_slice(&message[at..start]);
        at = end;
    }
    out.extend_from_slice(&message[at..]);
    Some(out)
}

/// Offset just past the blank line that ends the header section (or the whole message).
fn header_end(message: &[u8]) -> usize {
    let mut at = 0;
    while at < message.len() {
        let end = memchr::memchr(b'\n', &message[at..]).map_or(message.len(), |i| at + i + 1);
        let line = &message[at..end];
        if line == b"\r\n" || line == b"\n" {
            return at;
        }
        at = end;
    }
    message.len()
}

/// (start, end) of each field, continuation lines included.
fn fields(header: &[u8]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < header.len() {
        let end = memchr::memchr(b'\n', &header[at..]).map_or(header.len(), |i| at + i + 1);
        let continuation = matches!(header[at], b' ' | b'\t');
        match out.last_mut() {
            Some(last) if continuation => last.1 = end,
            _ => out.push((at, end)),
        }
        at = end;
    }
    out
}

/// Is this field an Authentication-Results whose authserv-id is ours?
fn claims(field: &[u8], authserv_id: &str) -> bool {
    let Some(colon) = memchr::memchr(b':', field) else {
        return false;
    };
    let name = field[..colon].trim_ascii();
    if !name.eq_ignore_ascii_case(b"authentication-results") {
        return false;
    }
    let value = skip_cfws(&field[colon + 1..]);
    let id_len = value
        .iter()
        .position(|&b| matches!(b, b';' | b'(' | b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(value.len());
    let id = &value[..id_len];
    let id = id.strip_suffix(b".").unwrap_or(id);
    let ours = authserv_id.trim_end_matches('.').as_bytes();
    let id = id.strip_prefix(b"\"").unwrap_or(id);
    let id = id.strip_suffix(b"\"").unwrap_or(id);
    id.eq_ignore_ascii_case(ours)
}

/// Skips folding white space and (nested) comments before the authserv-id.
fn skip_cfws(mut value: &[u8]) -> &[u8] {
    loop {
        match value.first() {
            Some(b' ' | b'\t' | b'\r' | b'\n') => value = &value[1..],
            Some(b'(') => {
                let mut depth = 0usize;
                let mut i = 0;
                while i < value.len() {
                    match value[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                value = value.get(i + 1..).unwrap_or(&[]);
            }
            _ => return value,
        }
    }
}

#[cfg(test)]
mod tests;
