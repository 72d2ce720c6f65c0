//! `moat rules test`: every rule's inline examples run through the whole rule set; a `match`
//! example must make the rule fire, a `no_match` example must not.

use super::facts::{Envelope, Facts};
use super::file::{self, FullExample, RawExample};
use super::{RuleError, RuleSet};

/// Builds the message of an example. Snippets are completed with ordinary headers (From,
/// To, Date, Message-ID, Subject) that they do not set themselves, so an example shows only
/// what matters to its rule; `as_is: true` takes the text exactly. `\n` becomes CRLF.
pub fn message(ex: &FullExample, now: i64) -> Vec<u8> {
    let text = ex.message.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) if looks_like_headers(h) => (h.to_string(), b.to_string()),
        _ if looks_like_headers(text.trim_end()) => (text.trim_end().to_string(), String::new()),
        _ => (String::new(), text.clone()),
    };
    let mut headers = head.clone();
    if !ex.as_is {
        let has = |name: &str| {
            head.lines().any(|l| {
                l.len() > name.len()
                    && l[..name.len() + 1].eq_ignore_ascii_case(&format!("{name}:"))
            })
        };
        let defaults = [
            ("From", "Example Sender <sender@example.org>".to_string()),
            ("To", "user@example.test".to_string()),
            ("Subject", "Meeting notes".to_string()),
            (
                "Date",
                crate::message::headers::rfc5322_date(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(now as u64),
                ),
            ),
            ("Message-ID", "<example.1@example.org>".to_string()),
        ];
        for (name, value) in defaults {
            if !has(name) {
                if !headers.is_empty() {
                    headers.push('\n');
                }
                headers.push_str(&format!("{name}: {value}"));
            }
        }
    }
    format!("{headers}\n\n{body}")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn looks_like_headers(block: &str) -> bool {
    let first = block.lines().next().unwrap_or("");
    match first.split_once(':') {
        Some((name, _)) => {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

pub fn envelope(ex: &FullExample) -> Envelope {
    Envelope {
        client_ip: ex
            .client_ip
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or([192, 0, 2, 10].into()),
        helo: ex.helo.clone().unwrap_or_else(|| "mail.example.org".into()),
        mail_from: ex
            .mail_from
            .clone()
            .unwrap_or_else(|| "sender@example.org".into()),
        rcpt_to: ex
            .rcpt_to
            .clone()
            .unwrap_or_else(|| vec!["user@example.test".into()]),
    }
}

fn full(ex: &RawExample) -> FullExample {
    match ex {
        RawExample::Text(t) => FullExample {
            message: t.clone(),
            helo: None,
            client_ip: None,
            mail_from: None,
            rcpt_to: None,
            as_is: false,
        },
        RawExample::Full(f) => f.clone(),
    }
}

/// Runs every example; returns one error per failing example, with its file and line.
pub fn run(set: &RuleSet) -> (usize, Vec<RuleError>) {
    let now = super::check::now_unix();
    let mut count = 0;
    let mut failures = Vec::new();
    for rule in set.rules() {
        let text = set
            .sources()
            .iter()
            .find(|s| *s.origin == *rule.file)
            .map(|s| s.text.as_str())
            .unwrap_or("");
        for (key, list, want) in [
            ("match", &rule.examples.matching, true),
            ("no_match", &rule.examples.no_match, false),
        ] {
            for (n, ex) in list.iter().enumerate() {
                count += 1;
                let ex = full(ex);
                let facts = Facts::extract(&message(&ex, now), &envelope(&ex), now);
                let fired = set.evaluate(&facts).iter().any(|f| f.id == rule.id);
                if fired != want {
                    let line = rule
                        .line
                        .and_then(|l| file::line_of_example(text, l, key, n))
                        .or(rule.line);
                    let message = if want {
                        format!(
                            "{}: `match` example {} does not fire the rule",
                            rule.id,
                            n + 1
                        )
                    } else {
                        format!("{}: `no_match` example {} fires the rule", rule.id, n + 1)
                    };
                    failures.push(RuleError {
                        file: rule.file.to_string(),
                        line,
                        message,
                    });
                }
            }
        }
    }
    (count, failures)
}
