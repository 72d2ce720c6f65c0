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
        crate::message::spam_headers::headers(&j.verdict)
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
mod tests;
