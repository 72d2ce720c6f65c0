//! Moat's verdict in rspamd's JSON shape (`/checkv2`, and the older `/check`), so that
//! `rspamc`, Mailcow, Exim's `spam =` condition and Haraka's rspamd plugin read it unchanged.
//!
//! | Moat action | rspamd `action` | what the consumer does |
//! |---|---|---|
//! | `accept` | `no action` | delivers |
//! | `add_header` | `add header` | adds `milter.add_headers` (`X-Spam-Flag: YES` …) |
//! | `rewrite_subject` | `rewrite subject` | also replaces the subject with `subject` |
//! | `quarantine` | `add header` | rspamd has no quarantine: delivered as spam; `moat_action` says `quarantine` |
//! | `tempfail` | `soft reject` | answers `451` with `messages.smtp_message` |
//! | `reject` | `reject` | answers `550` with `messages.smtp_message` |

use crate::doors::Judged;
use crate::verdict::{Action, Thresholds};
use serde_json::{Map, Value, json};

/// rspamd's name for Moat's action.
pub fn rspamd_action(a: Action) -> &'static str {
    match a {
        Action::Accept => "no action",
        Action::AddHeader | Action::Quarantine => "add header",
        Action::RewriteSubject => "rewrite subject",
        Action::Tempfail => "soft reject",
        Action::Reject => "reject",
    }
}

/// What the JSON says besides the verdict.
pub struct Extra<'a> {
    pub reference: &'a str,
    pub message_id: Option<String>,
    /// The message's subject (for `rewrite subject`).
    pub subject: Option<String>,
    pub subject_tag: &'a str,
    pub thresholds: &'a Thresholds,
    pub seconds: f64,
}

/// The `/checkv2` answer.
pub fn checkv2(j: &Judged, x: &Extra) -> Value {
    let v = &j.verdict;
    let mut out = json!({
        "is_skipped": false,
        "score": round(v.score),
        "required_score": round(required(x.thresholds, v.required)),
        "action": rspamd_action(v.action),
        "moat_action": v.action.as_str(),
        "moat_reference": x.reference,
        "thresholds": thresholds(x.thresholds),
        "symbols": symbols(j),
        "messages": messages(v.action, x.reference),
        "message-id": x.message_id.as_deref().unwrap_or("undef"),
        "time_real": x.seconds,
        "milter": milter(j),
    });
    if v.action == Action::RewriteSubject {
        let subject = x.subject.as_deref().unwrap_or("");
        out["subject"] = format!("{} {subject}", x.subject_tag).trim_end().into();
    }
    out
}

/// The older `/check` answer: the verdict inside a `default` metric.
pub fn check_v1(j: &Judged, x: &Extra) -> Value {
    let v2 = checkv2(j, x);
    let mut metric = Map::new();
    metric.insert("is_spam".into(), j.verdict.action.is_spam().into());
    for key in ["is_skipped", "score", "required_score", "action"] {
        metric.insert(key.into(), v2[key].clone());
    }
    if let Value::Object(symbols) = &v2["symbols"] {
        for (k, s) in symbols {
            metric.insert(k.clone(), s.clone());
        }
    }
    json!({ "default": metric, "message-id": v2["message-id"], "messages": v2["messages"] })
}

/// rspamd's `required_score` is the reject threshold; without one, where spam starts.
fn required(t: &Thresholds, spam_from: f64) -> f64 {
    t.reject
        .or(Some(spam_from).filter(|r| r.is_finite()))
        .unwrap_or(0.0)
}

fn thresholds(t: &Thresholds) -> Value {
    let mut m = Map::new();
    for (name, value) in [
        ("reject", t.reject),
        ("soft reject", t.tempfail),
        ("rewrite subject", t.rewrite_subject),
        ("add header", t.add_header.or(t.quarantine)),
    ] {
        if let Some(v) = value {
            m.insert(name.into(), round(v).into());
        }
    }
    Value::Object(m)
}

/// One symbol per finding id; a repeated id (rare) sums its scores.
fn symbols(j: &Judged) -> Value {
    let mut m = Map::new();
    for f in &j.verdict.findings {
        let entry = m.entry(f.id.clone()).or_insert_with(
            || json!({"name": f.id, "score": 0.0, "metric_score": 0.0, "description": f.reason}),
        );
        let score = entry["score"].as_f64().unwrap_or(0.0) + f.score;
        entry["score"] = round(score).into();
        entry["metric_score"] = round(score).into();
    }
    Value::Object(m)
}

/// `smtp_message` is the reply text proxies and Exim give the client for a refusal: the
/// verdict's, as the SMTP server answers (`crate::verdict::reply::message`).
fn messages(a: Action, reference: &str) -> Value {
    match crate::verdict::reply::message(a) {
        Some(reply) => json!({"smtp_message": format!("{} (ref={reference})", reply.text())}),
        None => json!({}),
    }
}

/// The headers Moat writes (Authentication-Results, `X-Spam-*`) as rspamd's milter block:
/// every incoming one of the same names is removed first (`0`: all occurrences).
fn milter(j: &Judged) -> Value {
    let text = format!(
        "{}{}",
        j.auth_header,
        crate::message::spam_headers::headers(&j.verdict)
    );
    let mut add = Map::new();
    let mut remove = Map::new();
    for (name, value) in crate::doors::header_fields(&text) {
        // One line: consumers insert the value as given.
        let value = value.replace("\r\n", "");
        remove.insert(name.clone(), 0.into());
        add.insert(name, json!({"value": value, "order": 0}));
    }
    json!({"add_headers": add, "remove_headers": remove})
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
mod tests;
