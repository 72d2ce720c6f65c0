//! The end of DATA: Moat's headers, the checks, the verdict, and delivery. Returns the reply
//! the client gets; `250` only when the backend (or the Maildir, durably) took the message.

use crate::checks::MessageContext;
use crate::message::headers::{self, ReceivedInfo, TlsInfo};
use crate::message::spam_headers;
use crate::relay::{BackendSession, RelayError, Stage};
use crate::runtime::Runtime;
use crate::smtp::Reply;
use crate::smtp::session::{Hello, Transaction};
use crate::store::quarantine::{self, Meta, Store};
use crate::verdict::{Action, Verdict};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

pub struct Request<'a> {
    pub reference: &'a str,
    pub client_ip: IpAddr,
    pub helo: Option<&'a Hello>,
    pub tls: Option<&'a TlsInfo>,
    pub transaction: &'a Transaction,
    /// SPF and iprev started at MAIL FROM (`None`: run them now, if auth is enabled).
    pub auth: Option<crate::auth::EnvelopeTask>,
    /// Findings about the connection (DNSBL/DNSWL at connect), for the verdict.
    pub connection_findings: Vec<crate::checks::Finding>,
}

pub enum Failure {
    /// The backend could not be reached or did not answer: the client must retry.
    Relay(RelayError),
    /// Moat itself refused or deferred the message (verdict); the reply says how.
    Refused(Reply),
}

pub struct Outcome {
    pub action: Action,
    pub score: f64,
    /// The verdict's finding ids, comma-separated, as in `X-Spam-Status` (empty: none).
    pub findings: String,
    pub result: Result<Reply, Failure>,
}

pub async fn deliver(
    rt: &Runtime,
    mut req: Request<'_>,
    body: Vec<u8>,
    backend: Option<&mut BackendSession>,
) -> Outcome {
    let mut header = received_header(rt, &req);
    let (auth_header, mut findings, stripped) = crate::checks::judge::authenticate(
        rt,
        req.reference,
        req.client_ip,
        req.helo.map(|h| h.name.as_str()).unwrap_or(""),
        &req.transaction.from,
        req.auth.take(),
        &body,
    )
    .await;
    let body = stripped.unwrap_or(body);
    findings.extend(std::mem::take(&mut req.connection_findings));
    header.push_str(&auth_header);
    let body = Arc::new(body);
    let context = Arc::new(MessageContext {
        reference: req.reference.to_string(),
        client_ip: req.client_ip,
        helo: req.helo.map(|h| h.name.clone()).unwrap_or_default(),
        tls: req.tls.cloned(),
        from: req.transaction.from.clone(),
        recipients: req.transaction.recipients.clone(),
        body: body.clone(),
        facts: Default::default(),
    });
    let verdict = crate::checks::judge::judge(rt, context.clone(), findings).await;
    // Queued for learning when autolearn is on and the verdict passes its guards (the
    // flush is never waited for); before the decoded text is dropped: it needs the tokens.
    crate::bayes::autolearn::offer(rt, &context, &verdict, false).await;
    let context = drop_facts(context);
    let tag = &rt.config.policy.thresholds.subject_tag;
    let header = header + &spam_headers::headers(&verdict);
    // The verdict's reply (the session appends the reference id to every refusal).
    let result = match verdict.action {
        Action::Reject | Action::Tempfail => {
            let reply = crate::verdict::reply::message(verdict.action);
            Err(Failure::Refused(
                reply.expect("a refusing action has a reply"),
            ))
        }
        Action::Quarantine => quarantine(rt, &context, &verdict, &header, backend).await,
        Action::Accept | Action::AddHeader | Action::RewriteSubject => {
            let body = spam_headers::edit_message(&body, verdict.action, tag);
            match backend {
                Some(backend) => relay(backend, header.as_bytes(), &body).await,
                None => Err(Failure::Relay(RelayError::Unusable { stage: Stage::Data })),
            }
        }
    };
    Outcome {
        action: verdict.action,
        score: verdict.score,
        findings: verdict.tests(),
        result,
    }
}

/// The checks are done: the text they decoded is dropped before the message is delivered,
/// so that delivery adds at most one copy of the message (`crate::budget::MESSAGE_COPIES`).
/// A check still running past its verdict (none should) keeps them until it ends.
fn drop_facts(mut context: Arc<MessageContext>) -> Arc<MessageContext> {
    if let Some(c) = Arc::get_mut(&mut context) {
        c.facts = Default::default();
    }
    context
}

/// Sends the message and records the backend's answer and latency (errors are recorded
/// where they are logged, in `conn`).
async fn relay(backend: &mut BackendSession, header: &[u8], body: &[u8]) -> Result<Reply, Failure> {
    let started = std::time::Instant::now();
    let step = backend.data_step();
    let result = backend.data(header, body).await;
    let seconds = started.elapsed().as_secs_f64();
    crate::metrics::relay_step(step, seconds);
    crate::metrics::stage("relay", seconds);
    if let Ok(reply) = &result {
        let result = if reply.is_positive() {
            "accepted"
        } else if reply.is_transient() {
            "deferred"
        } else {
            "rejected"
        };
        crate::metrics::relay_result(result, Some(reply.code));
    }
    result.map_err(Failure::Relay)
}

fn received_header(rt: &Runtime, req: &Request) -> String {
    let recipients = &req.transaction.recipients;
    let single = (recipients.len() == 1).then(|| recipients[0].address());
    headers::received(&ReceivedInfo {
        helo: req.helo.map(|h| h.name.as_str()).unwrap_or("unknown"),
        client_ip: req.client_ip,
        hostname: &rt.config.hostname,
        extended: req.helo.is_some_and(|h| h.extended),
        smtputf8: req.transaction.params.smtputf8,
        tls: req.tls,
        id: req.reference,
        single_recipient: single.as_deref(),
        time: SystemTime::now(),
    })
}

/// Stores the message durably in the quarantine; `250` only once it is on disk. The backend
/// transaction opened in lockstep is reset: the backend gets nothing.
async fn quarantine(
    rt: &Runtime,
    m: &MessageContext,
    verdict: &Verdict,
    header: &str,
    backend: Option<&mut BackendSession>,
) -> Result<Reply, Failure> {
    let body = spam_headers::edit_message(&m.body, Action::AddHeader, "");
    let meta = Meta {
        id: Store::new_id(),
        time: crate::rules::check::now_unix() as u64,
        reference: m.reference.clone(),
        client_ip: m.client_ip.to_string(),
        helo: m.helo.clone(),
        mail_from: m.from.address(),
        rcpt_to: m.recipients.iter().map(|r| r.address()).collect(),
        score: verdict.score,
        tests: verdict.tests(),
        subject: quarantine::subject_of(&body),
    };
    let store = Store::new(&rt.config.policy.quarantine);
    let mut message = header.as_bytes().to_vec();
    message.extend_from_slice(&body);
    let id = meta.id.clone();
    let stored = tokio::task::spawn_blocking(move || store.store(&meta, &message)).await;
    if let Some(b) = backend {
        // A failed RSET marks the session unusable; the next transaction reconnects.
        let _ = b.rset().await;
    }
    match stored {
        Ok(Ok(())) => {
            tracing::info!(reference = %m.reference, quarantine_id = %id, "message quarantined");
            // 2.0.0 as docs/replies.md says (2.2.x is about a mailbox, RFC 3463).
            Ok(Reply::status(250, 0, 0, "Message accepted"))
        }
        Ok(Err(e)) => {
            tracing::error!(reference = %m.reference, error = %e, "quarantine store failed");
            Err(Failure::Refused(Reply::status(
                451,
                3,
                0,
                "Local error, try again later",
            )))
        }
        Err(e) => {
            tracing::error!(reference = %m.reference, error = %e, "quarantine task failed");
            Err(Failure::Refused(Reply::status(
                451,
                3,
                0,
                "Local error, try again later",
            )))
        }
    }
}
