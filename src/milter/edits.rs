//! The verdict as milter answers at the end of a message — what `deliver` does to a message
//! it relays, done by the MTA on Moat's word:
//!
//! | action | answers |
//! |---|---|
//! | `accept`, `add_header` | forged Authentication-Results and incoming `X-Spam-*` deleted; Moat's headers inserted on top; continue |
//! | `rewrite_subject` | the same, and the subject tagged |
//! | `quarantine` | the same, then `SMFIR_QUARANTINE` (`milter.quarantine: hold`) or Moat's store and discard (`store`) |
//! | `tempfail` | `451 4.7.1 … (ref=…)` |
//! | `reject` | `550 5.7.1 … (ref=…)` |

use super::codec::Response;
use crate::doors::Judged;
use crate::verdict::Action;

/// `451`/`550` with the verdict's generic text (`crate::verdict::reply::message`, as the
/// SMTP server answers) and the reference, or `None` for the actions that let the message
/// through.
pub fn refusal(action: Action, reference: &str) -> Option<Response> {
    let reply = crate::verdict::reply::message(action)?;
    Some(super::conn::reply_code(&reply, reference))
}

/// What the MTA should change in a message it passes on. `headers` are the message's own
/// fields as the MTA sent them; `leadspc`: values carry their own leading blank.
pub fn header_edits(
    j: &Judged,
    headers: &[(String, Vec<u8>)],
    hostname: &str,
    subject_tag: &str,
    leadspc: bool,
) -> Vec<Response> {
    let value = |v: &str| {
        let v = v.replace("\r\n", "\n");
        if leadspc { format!(" {v}") } else { v }
    };
    let mut out = deletions(headers, hostname);
    if j.verdict.action == Action::RewriteSubject {
        out.push(subject(headers, subject_tag, leadspc));
    }
    let ours = format!(
        "{}{}",
        j.auth_header,
        crate::spam_headers::headers(&j.verdict)
    );
    // Inserted at the top in reverse, so they read in Moat's order, as `deliver` writes them.
    for (name, v) in crate::doors::header_fields(&ours).into_iter().rev() {
        out.push(Response::InsertHeader {
            index: 0,
            name,
            value: value(&v),
        });
    }
    out
}

/// Every incoming `X-Spam-*` field (Moat owns the prefix) and every Authentication-Results
/// field that claims Moat's host name: deleted, last occurrence of a name first so the
/// indexes of the others hold.
fn deletions(headers: &[(String, Vec<u8>)], hostname: &str) -> Vec<Response> {
    let mut seen: std::collections::HashMap<String, u32> = Default::default();
    let mut doomed = Vec::new();
    for (name, value) in headers {
        let key = name.to_ascii_lowercase();
        let index = seen.entry(key.clone()).or_insert(0);
        *index += 1;
        let forged = key == "authentication-results" && {
            let mut field = b"Authentication-Results:".to_vec();
            field.extend_from_slice(value);
            field.extend_from_slice(b"\r\n\r\n");
            crate::auth::forged::strip(&field, hostname).is_some()
        };
        if key.starts_with("x-spam-") || forged {
            doomed.push((name.clone(), *index));
        }
    }
    doomed
        .into_iter()
        .rev()
        .map(|(name, index)| Response::ChangeHeader {
            index,
            name,
            value: String::new(),
        })
        .collect()
}

/// The first Subject tagged, or a tagged Subject added.
fn subject(headers: &[(String, Vec<u8>)], tag: &str, leadspc: bool) -> Response {
    let found = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("subject"));
    let lead = if leadspc { " " } else { "" };
    match found {
        Some((name, value)) => {
            let old = String::from_utf8_lossy(value);
            Response::ChangeHeader {
                index: 1,
                name: name.clone(),
                value: format!("{lead}{tag} {}", old.trim_start()),
            }
        }
        None => Response::AddHeader {
            name: "Subject".into(),
            value: format!("{lead}{tag}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Finding;
    use crate::verdict::Thresholds;

    fn judged(score: f64, t: &Thresholds) -> Judged {
        let f = Finding {
            id: "R".into(),
            score,
            reason: String::new(),
            force: None,
        };
        Judged {
            verdict: crate::verdict::decide(vec![f], t),
            auth_header: "Authentication-Results: mx.example.test; spf=pass\r\n".into(),
            stripped: None,
        }
    }

    fn h(name: &str, value: &str) -> (String, Vec<u8>) {
        (name.into(), value.as_bytes().to_vec())
    }

    #[test]
    fn refusals_carry_code_and_reference() {
        assert_eq!(
            refusal(Action::Reject, "R1"),
            Some(Response::ReplyCode(
                "550 5.7.1 Message refused (ref=R1)".into()
            ))
        );
        assert!(refusal(Action::Tempfail, "R").is_some());
        assert_eq!(refusal(Action::Quarantine, "R"), None);
    }

    #[test]
    fn spam_gets_moats_headers_on_top_and_loses_forged_ones() {
        let t = Thresholds::default();
        let headers = [
            h("X-Spam-Flag", " NO"),
            h("Authentication-Results", " mx.example.test; dkim=pass"),
            h("Authentication-Results", " other.example; dkim=pass"),
            h("x-spam-flag", " NO"),
        ];
        let edits = header_edits(
            &judged(5.0, &t),
            &headers,
            "mx.example.test",
            "[SPAM]",
            true,
        );
        let del = |name: &str, index| Response::ChangeHeader {
            index,
            name: name.into(),
            value: String::new(),
        };
        assert_eq!(
            edits[..3],
            [
                del("x-spam-flag", 2),
                del("Authentication-Results", 1),
                del("X-Spam-Flag", 1)
            ]
        );
        let inserted: Vec<_> = edits[3..]
            .iter()
            .map(|r| match r {
                Response::InsertHeader {
                    index: 0,
                    name,
                    value,
                } => (name.as_str(), value.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            inserted.last().unwrap(),
            &("Authentication-Results", " mx.example.test; spf=pass")
        );
        assert!(inserted.contains(&("X-Spam-Flag", " YES")));
    }

    #[test]
    fn rewrite_subject_tags_the_first_subject() {
        let t = Thresholds {
            rewrite_subject: Some(3.0),
            ..Thresholds::default()
        };
        let edits = header_edits(
            &judged(3.5, &t),
            &[h("Subject", "hi")],
            "mx",
            "[SPAM]",
            false,
        );
        assert!(edits.contains(&Response::ChangeHeader {
            index: 1,
            name: "Subject".into(),
            value: "[SPAM] hi".into()
        }));
    }
}
