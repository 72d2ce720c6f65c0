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
}
