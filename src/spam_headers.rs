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
        crate::headers::iso8601_utc(r.time),
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
mod tests {
    use super::*;
    use crate::checks::Finding;

    fn verdict(action: Action, score: f64) -> Verdict {
        let f = |id: &str| Finding {
            id: id.into(),
            score: 1.0,
            reason: String::new(),
            force: None,
        };
        Verdict {
            action,
            score,
            required: 5.0,
            findings: vec![f("SUBJ_FREE"), f("CLICK_HERE")],
        }
    }

    #[test]
    fn spam_headers_follow_the_spamassassin_convention() {
        let h = headers(&verdict(Action::AddHeader, 6.25));
        assert_eq!(
            h,
            "X-Spam-Flag: YES\r\nX-Spam-Score: 6.2\r\nX-Spam-Level: ******\r\nX-Spam-Status: Yes, score=6.2 required=5.0 tests=CLICK_HERE,SUBJ_FREE\r\n"
        );
        let h = headers(&Verdict {
            action: Action::Accept,
            score: 0.0,
            required: 5.0,
            findings: vec![],
        });
        assert!(
            h.contains("X-Spam-Flag: NO\r\n") && h.contains("tests=none"),
            "{h}"
        );
    }

    /// One `*` per whole point, none below one point, and never more than `MAX_LEVEL`.
    #[test]
    fn spam_level_has_one_star_per_point_bounded() {
        let level = |score| {
            let h = headers(&verdict(Action::Accept, score));
            let line = h.lines().find(|l| l.starts_with("X-Spam-Level:")).unwrap();
            line["X-Spam-Level: ".len()..].to_string()
        };
        assert_eq!(level(-3.0), "");
        assert_eq!(level(0.9), "");
        assert_eq!(level(4.99), "****");
        assert_eq!(level(1e9), "*".repeat(MAX_LEVEL));
    }

    #[test]
    fn forged_spam_headers_are_removed_and_subject_tagged() {
        let m = b"X-Spam-Flag: NO\r\nX-Spam-Status: No,\r\n tests=none\r\nSubject: hello\r\nFrom: a@b\r\n\r\nX-Spam-Flag: body stays\r\n";
        let out = edit_message(m, Action::RewriteSubject, "[SPAM]");
        assert_eq!(
            String::from_utf8(out.into_owned()).unwrap(),
            "Subject: [SPAM] hello\r\nFrom: a@b\r\n\r\nX-Spam-Flag: body stays\r\n"
        );
        let out = edit_message(b"From: a@b\r\n\r\nhi\r\n", Action::RewriteSubject, "[SPAM]");
        assert_eq!(&*out, b"From: a@b\r\nSubject: [SPAM]\r\n\r\nhi\r\n");
        let out = edit_message(b"Subject: x\r\n\r\nhi\r\n", Action::AddHeader, "[SPAM]");
        assert_eq!(&*out, b"Subject: x\r\n\r\nhi\r\n");
        assert!(matches!(out, Cow::Borrowed(_)), "nothing to edit: no copy");
        let m = b"x-spam-score: 9\r\nSubject: x\r\n\r\nhi\r\n";
        let out = edit_message(m, Action::AddHeader, "");
        assert_eq!(&*out, b"Subject: x\r\n\r\nhi\r\n");
    }

    #[test]
    fn every_forged_x_spam_header_is_removed_by_prefix_with_its_folded_lines() {
        let forged = [
            "X-Spam-Level: ****************\r\n",
            "X-Spam-Report: \r\n\t* -100 USER_IN_WELCOMELIST\r\n\t*  0.0 NONE\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-13) on\r\n mx.example.test\r\n",
            "x-spam-flag: NO\r\n",
            "X-SPAM-Status: No, score=-100.0 required=5.0\r\n\ttests=USER_IN_WELCOMELIST\r\n",
            "X-Spam-Level : ***\r\n",
        ];
        for action in [Action::Accept, Action::AddHeader, Action::RewriteSubject] {
            for field in forged {
                let m = format!("From: a@b\r\n{field}Subject: hi\r\n\r\nX-Spam-Level: body\r\n");
                let out = edit_message(m.as_bytes(), action, "[SPAM]");
                let out = String::from_utf8(out.into_owned()).unwrap();
                let (head, body) = out.split_once("\r\n\r\n").unwrap();
                assert!(
                    !head.to_ascii_lowercase().contains("x-spam-"),
                    "{action:?}: {out}"
                );
                assert!(
                    !head.contains('*') && !head.contains("mx.example"),
                    "folded lines: {out}"
                );
                assert!(head.starts_with("From: a@b\r\nSubject: "), "{out}");
                assert_eq!(body, "X-Spam-Level: body\r\n", "the body is untouched");
            }
        }
        // Names that only look alike are not Moat's.
        let m = b"X-Spammer: kept\r\nX-Spam: kept\r\n\r\nhi\r\n";
        assert!(matches!(
            edit_message(m, Action::Accept, ""),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn released_message_says_so_and_carries_no_spam_flag() {
        let held = b"Received: from x\r\nX-Spam-Flag: YES\r\nX-Spam-Score: 12.0\r\nX-Spam-Level: ************\r\nX-Spam-Status: Yes, score=12.0\r\n required=5.0 tests=TEST_HOLD\r\nX-Moat-Released: forged\r\n\tcontinued\r\nSubject: hi\r\n\r\nX-Spam-Flag: YES in the body stays\r\n";
        let out = released(
            held,
            &Released {
                time: 1_764_822_600,
                held_score: 12.0,
                held_tests: "TEST_HOLD,\r\nX-Spam-Flag: YES",
            },
        );
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("X-Moat-Released: 2025-12-04T04:30:00Z by operator\r\n"),
            "{head}"
        );
        assert!(head.contains("X-Spam-Flag: NO\r\n"), "{head}");
        assert!(head.contains("X-Spam-Level: \r\n"), "{head}");
        assert!(
            head.contains("held with score=12.0 tests=TEST_HOLD,X-Spam-FlagYES"),
            "{head}"
        );
        assert!(
            !head.contains("X-Spam-Flag: YES")
                && !head.contains("forged")
                && !head.contains("continued")
                && !head.contains("****"),
            "{head}"
        );
        assert!(head.contains("Received: from x\r\nSubject: hi"), "{head}");
        assert_eq!(body, "X-Spam-Flag: YES in the body stays\r\n");
    }
}
