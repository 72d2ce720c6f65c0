//! What the two doors besides SMTP — the milter (`crate::doors::milter`) and the rspamd-compatible
//! scan API (`crate::doors::scan_api`) — share: the one call into Moat's pipeline, the screening of
//! a client at connect, reference ids and the doors' metrics.
//!
//! Neither door judges anything itself: `judge` runs exactly what the SMTP server runs at the
//! end of DATA (`judge::authenticate`, then `judge::judge`, which ends in `verdict::decide`),
//! and `screen` what it runs at connect (`lists::screen_client`, then
//! `reputation::screen_connection`). When the pipeline changes shape, these two functions
//! are the only places to adapt.

use crate::checks::{Finding, MessageContext, Refusal};
use crate::runtime::Runtime;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::verdict::Verdict;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

/// Which door a message came through (a closed set: safe as a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Milter,
    ScanApi,
}

impl Door {
    pub fn label(self) -> &'static str {
        match self {
            Door::Milter => "milter",
            Door::ScanApi => "scan_api",
        }
    }
}

/// The SMTP envelope of a message, as the MTA in front told it.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// `ref=` in replies and logs.
    pub reference: String,
    pub client_ip: IpAddr,
    pub helo: String,
    pub from: ReversePath,
    pub recipients: Vec<Mailbox>,
}

/// The pipeline's answer for one message.
pub struct Judged {
    pub verdict: Verdict,
    /// `Authentication-Results: …\r\n` (empty when `auth.enabled` is off).
    pub auth_header: String,
    /// The message without forged Authentication-Results fields, when some were removed.
    pub stripped: Option<Vec<u8>>,
}

/// Lists then DNSBL/DNSWL, the connect-stage checks of `moat serve` decided by the same policy
/// table (`verdict::stage`): a refusal, or the findings the verdict adds at the end of the
/// message. (The connection rate limit is the MTA's business here: it sees the connections.)
pub async fn screen(rt: &Runtime, ip: IpAddr) -> Result<Vec<Finding>, Refusal> {
    use crate::checks::lists::{ClientScreen, screen_client};
    use crate::config::stages::Stage;
    use crate::verdict::stage::{Decision, decide};
    let (check, findings) = match screen_client(&rt.config.policy, ip) {
        ClientScreen::Denied(finding) => ("lists", vec![finding]),
        ClientScreen::Trusted => return Ok(Vec::new()),
        ClientScreen::Unlisted => (
            "dnsbl",
            crate::reputation::screen_connection(rt.reputation.as_deref(), ip).await,
        ),
    };
    if findings.is_empty() {
        return Ok(findings);
    }
    match decide(Stage::Connect, check, findings, &rt.config.table) {
        Decision::Continue(kept) => Ok(kept),
        Decision::Refuse(refusal) => Err(refusal),
    }
}

/// The RCPT stage's deny list, as `moat serve` runs it (relaying and rates are the MTA's
/// business here): a refusal by the policy table, with the verdict's reply.
pub fn screen_recipient(rt: &Runtime, to: &Mailbox) -> Result<(), Refusal> {
    use crate::config::stages::Stage;
    use crate::verdict::stage::{Decision, decide};
    let Some(denied) = crate::checks::lists::screen_recipient(&rt.config.policy.deny, to) else {
        return Ok(());
    };
    match decide(Stage::Rcpt, "lists", vec![denied], &rt.config.table) {
        Decision::Continue(_) => Ok(()),
        Decision::Refuse(refusal) => Err(refusal),
    }
}

/// The end-of-DATA stage of `moat serve` for one message (`body`: the message as received,
/// CRLF lines, without Moat's headers). Counts and logs the result under `door`.
pub async fn judge(
    rt: &Runtime,
    door: Door,
    env: &Envelope,
    connection_findings: Vec<Finding>,
    body: Vec<u8>,
) -> Judged {
    let started = std::time::Instant::now();
    let (auth_header, mut findings, stripped) = crate::checks::judge::authenticate(
        rt,
        &env.reference,
        env.client_ip,
        &env.helo,
        &env.from,
        None,
        &body,
    )
    .await;
    findings.extend(connection_findings);
    let size = body.len();
    let body = stripped.clone().unwrap_or(body);
    let context = MessageContext {
        reference: env.reference.clone(),
        client_ip: env.client_ip,
        helo: env.helo.clone(),
        tls: None,
        from: env.from.clone(),
        recipients: env.recipients.clone(),
        body: Arc::new(body),
        facts: Default::default(),
    };
    let verdict = crate::checks::judge::judge(rt, Arc::new(context), findings).await;
    let seconds = started.elapsed().as_secs_f64();
    record(door, verdict.action.as_str(), seconds);
    tracing::info!(
        door = door.label(),
        reference = %env.reference,
        client = %env.client_ip,
        size,
        action = verdict.action.as_str(),
        score = verdict.score,
        findings = %verdict.tests(),
        "message judged"
    );
    Judged {
        verdict,
        auth_header,
        stripped,
    }
}

/// A client the connect screen refused (`screen`): the verdict `reject`, forced by the
/// refusal's findings, without running the checks — as the SMTP server never lets it send.
pub fn refused_at_connect(rt: &Runtime, door: Door, env: &Envelope, refusal: Refusal) -> Judged {
    let findings = refusal
        .findings
        .iter()
        .map(|id| Finding {
            id: id.clone(),
            score: 0.0,
            reason: refusal.reply.text().to_string(),
            force: Some(crate::verdict::Action::Reject),
        })
        .collect();
    let verdict = crate::verdict::decide(findings, &rt.config.policy.thresholds);
    record(door, verdict.action.as_str(), 0.0);
    tracing::info!(door = door.label(), reference = %env.reference, client = %env.client_ip, findings = %verdict.tests(), "client refused at connect");
    Judged {
        verdict,
        auth_header: String::new(),
        stripped: None,
    }
}

/// An envelope address as MTAs and rspamd clients write it: `<a@b>`, `a@b`; `<>` or
/// anything unparsable gives `None` (the null sender).
pub fn mailbox(text: &str) -> Option<Mailbox> {
    crate::smtp::address::parse_mailbox(text.trim().trim_matches(['<', '>'])).ok()
}

/// A fresh reference id: the same 12 readable characters as an SMTP session's id, so that
/// one grep finds a message whichever door it came through.
pub fn new_reference() -> String {
    crate::inbound::conn::new_session_id()
}

/// `Name: value\r\n` header fields (folded lines included in their field), as Moat writes
/// them, split into (name, value) with the value's folding kept and its leading blank removed.
pub fn header_fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push_str("\r\n");
                v.push_str(line);
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_string(), value.trim_start().to_string()));
        }
    }
    out
}

/// Seconds: a verdict takes milliseconds, or the DNS deadline when a zone is slow.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

struct Metrics {
    messages: IntCounterVec,
    seconds: HistogramVec,
    refusals: IntCounterVec,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let messages = IntCounterVec::new(
        Opts::new(
            "moat_door_messages_total",
            "Messages judged through the milter and the scan API, by door and action.",
        ),
        &["door", "action"],
    )
    .expect("valid counter");
    let seconds = HistogramVec::new(
        HistogramOpts::new(
            "moat_door_judge_seconds",
            "Time from a message's end to its verdict, by door.",
        )
        .buckets(BUCKETS.to_vec()),
        &["door"],
    )
    .expect("valid histogram");
    let refusals = IntCounterVec::new(
        Opts::new(
            "moat_door_refusals_total",
            "Connections or requests the milter and scan API refused before judging, by door and reason.",
        ),
        &["door", "reason"],
    )
    .expect("valid counter");
    for m in [&messages, &refusals] {
        r.register(Box::new(m.clone())).expect("unique metric");
    }
    r.register(Box::new(seconds.clone()))
        .expect("unique metric");
    for door in [Door::Milter, Door::ScanApi] {
        for a in crate::verdict::Action::ALL {
            messages.with_label_values(&[door.label(), a.as_str()]);
        }
    }
    let _ = METRICS.set(Metrics {
        messages,
        seconds,
        refusals,
    });
}

fn record(door: Door, action: &str, seconds: f64) {
    crate::metrics::get();
    if let Some(m) = METRICS.get() {
        m.messages.with_label_values(&[door.label(), action]).inc();
        m.seconds
            .with_label_values(&[door.label()])
            .observe(seconds);
    }
}

/// A connection or request refused before a verdict; `reason` is from a closed set
/// (`full`, `timeout`, `too_large`, `bad_request`, `forbidden`, `denied`, `protocol`).
pub fn refused(door: Door, reason: &'static str) {
    crate::metrics::get();
    if let Some(m) = METRICS.get() {
        m.refusals.with_label_values(&[door.label(), reason]).inc();
    }
}

pub mod milter;
pub mod scan_api;
#[cfg(test)]
mod tests;
