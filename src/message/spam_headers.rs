//! The `X-Spam-*` headers Moat writes on every relayed message (the SpamAssassin convention
//! that Sieve scripts and mail clients already understand), and the edits to the message's
//! own header section: every `X-Spam-*` field the sender wrote is removed (Moat owns the
//! whole prefix: Sieve and procmail rules test `X-Spam-Level`, `X-Spam-Report` … as well as
//! the three Moat writes), and the subject is tagged for `rewrite_subject`.

use crate::verdict::{Action, Verdict};
use std::borrow::Cow;

/// Header fields whose name starts with this (in any case) are Moat's alone.
const OURS_PREFIX: &[u8] = b"x-spam-";

/// The field called `name` (as written before the colon) belongs to Moat.
fn is_ours(name: &[u8]) -> bool {
    let name = name.trim_ascii();
    name.len() >= OURS_PREFIX.len() && name[..OURS_PREFIX.len()].eq_ignore_ascii_case(OURS_PREFIX)
}

/// Stars in `X-Spam-Level` at most: the header stays one short line whatever the score.
const MAX_LEVEL: usize = 50;

/// `X-Spam-Flag`, `X-Spam-Score`, `X-Spam-Level` (one `*` per whole point, as SpamAssassin
/// writes it: Sieve and procmail rules match `X-Spam-Level: *****`) and `X-Spam-Status`,
/// CRLF-terminated.
pub fn headers(v: &Verdict) -> String {
    let spam = v.action.is_spam();
    let required = if v.required.is_finite() {
        v.required
    } else {
        0.0
    };
    let tests = v.tests();
    let status = format!(
        "X-Spam-Status: {}, score={:.1} required={:.1} tests={}",
        if spam { "Yes" } else { "No" },
        v.score,
        required,
        if tests.is_empty() { "none" } else { &tests }
    );
    let stars = (v.score.max(0.0).floor() as usize).min(MAX_LEVEL);
    format!(
        "X-Spam-Flag: {}\r\nX-Spam-Score: {:.1}\r\nX-Spam-Level: {}\r\n{}\r\n",
        if spam { "YES" } else { "NO" },
        v.score,
        "*".repeat(stars),
        fold(&status)
    )
}

/// Folds a long header at commas so no line exceeds ~78 characters (RFC 5322 2.1.1).
fn fold(header: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for (i, piece) in header.split_inclusive(',').enumerate() {
        if i > 0 && line_len + piece.len() > 76 {
            out.push_str("\r\n\t");
            line_len = 1;
        }
        out.push_str(piece);
        line_len += piece.len();
    }
    out
}

/// The message with incoming `X-Spam-*` headers removed and, for `rewrite_subject`, the
/// tag put in front of the subject (or a tagged Subject added). The body is untouched.
/// Borrows the message when there is nothing to change (the usual case: no copy).
pub fn edit_message<'a>(message: &'a [u8], action: Action, tag: &str) -> Cow<'a, [u8]> {
    let end = header_end(message);
    if action != Action::RewriteSubject && !has_ours(&message[..end]) {
        return Cow::Borrowed(message);
    }
    Cow::Owned(rewrite(message, end, action, tag))
}

/// Some header field (not a continuation line) is Moat's (`is_ours`).
fn has_ours(headers: &[u8]) -> bool {
    headers
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| !matches!(line.first(), Some(b' ' | b'\t')))
        .any(|line| is_ours(line.split(|&b| b == b':').next().unwrap_or_default()))
}

fn rewrite(message: &[u8], end: usize, action: Action, tag: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + tag.len() + 2);
    let mut tagged = action != Action::RewriteSubject;
    let mut skipping = false;
    for line in message[..end].split_inclusive(|&b| b == b'\n') {
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if continuation {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        // A field of Moat's is dropped with all its continuation lines.
        skipping = is_ours(name);
        if skipping {
            continue;
        }
        if !tagged && name.trim_ascii().eq_ignore_ascii_case(b"subject") {
            let colon = line.iter().position(|&b| b == b':').unwrap_or(0) + 1;
            let rest = &line[colon..];
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            out.extend_from_slice(&line[..colon]);
            out.extend_from_slice(format!(" {tag} ").as_bytes());
            out.extend_from_slice(rest);
            tagged = true;
            continue;
        }
        out.extend_from_slice(line);
    }
    if !tagged {
        out.extend_from_slice(format!("Subject: {tag}\r\n").as_bytes());
    }
    out.extend_from_slice(&message[end..]);
    out
}

/// Written on a message `moat quarantine release` relays, instead of the `X-Spam-*` fields
/// it was held with: a Sieve rule testing `X-Spam-Flag: YES` (or `X-Spam-Level`) would file
/// the released message straight back into Junk. The score it was held at stays readable in
/// `X-Spam-Status`.
pub struct Released<'a> {
    /// Unix seconds of the release.
    pub time: u64,
    pub held_score: f64,
    /// The findings it was held for, as the quarantine recorded them.
    pub held_tests: &'a str,
}

/// Names the header that marks a released message.
const RELEASED_FIELD: &[u8] = b"x-moat-released";

/// The held message with every `X-Spam-*` field (and any `X-Moat-Released` the sender
/// wrote) removed and the release's fields put first: `X-Moat-Released: <ISO 8601 UTC> by
/// operator`, `X-Spam-Flag: NO`, `X-Spam-Score: 0.0`, an empty `X-Spam-Level` and an
/// `X-Spam-Status` that says it was released and what it was held for.
pub fn released(message: &[u8], r: &Released) -> Vec<u8> {
    // The quarantine file is read back untrusted: only the characters of finding ids pass.
    let tests: String = r
        .held_tests
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ',' | '.' | '-'))
        .collect();
    let status = format!(
        "X-Spam-Status: No, released from quarantine, held with score={:.1} tests={}",
        r.held_score,
        if tests.is_empty() { "none" } else { &tests }
    );
    let mut out = format!(
        "X-Moat-Released: {} by operator\r\nX-Spam-Flag: NO\r\nX-Spam-Score: 0.0\r\nX-Spam-Level: \r\n{}\r\n",
        crate::message::headers::iso8601_utc(r.time),
        fold(&status)
    )
    .into_bytes();
    let end = header_end(message);
    let mut skipping = false;
    for line in message[..end].split_inclusive(|&b| b == b'\n') {
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        skipping = is_ours(name) || name.trim_ascii().eq_ignore_ascii_case(RELEASED_FIELD);
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&message[end..]);
    out
}

/// Offset just past the header section (the empty line is part of the body).
fn header_end(m: &[u8]) -> usize {
    let mut at = 0;
    for line in m.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            return at;
        }
        at += line.len();
    }
    m.len()
}

#[cfg(test)]
mod tests;
