//! The end of DATA: Moat's headers, the checks, the verdict, and delivery. Returns the reply
//! the client gets; `250` only when the backend (or the Maildir, durably) took the message.

use crate::checks::MessageContext;
use crate::headers::{self, ReceivedInfo, TlsInfo};
use crate::relay::{BackendSession, RelayError, Stage};
use crate::server::Runtime;
use crate::smtp::Reply;
use crate::smtp::session::{Hello, Transaction};
use crate::verdict::{self, Action};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

pub struct Request<'a> {
    pub reference: &'a str,
    pub client_ip: IpAddr,
    pub helo: Option<&'a Hello>,
    pub tls: Option<&'a TlsInfo>,
    pub transaction: &'a Transaction,
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
    pub result: Result<Reply, Failure>,
}

pub async fn deliver(
    rt: &Runtime,
    req: Request<'_>,
    body: Vec<u8>,
    backend: Option<&mut BackendSession>,
) -> Outcome {
    let header = received_header(rt, &req);
    let body = Arc::new(body);
    let verdict = if rt.checks.is_empty() {
        verdict::decide(Vec::new())
    } else {
        let context = Arc::new(MessageContext {
            reference: req.reference.to_string(),
            client_ip: req.client_ip,
            helo: req.helo.map(|h| h.name.clone()).unwrap_or_default(),
            tls: req.tls.cloned(),
            from: req.transaction.from.clone(),
            recipients: req.transaction.recipients.clone(),
            body: body.clone(),
        });
        let findings = rt.checks.run(context).await;
        let decided = std::time::Instant::now();
        let verdict = verdict::decide(findings);
        crate::metrics::stage("verdict", decided.elapsed().as_secs_f64());
        verdict
    };
    // The session appends the reference id to every refusal.
    let refused = |code, subject, detail, text: &str| {
        Err(Failure::Refused(Reply::status(code, subject, detail, text)))
    };
    let result = match verdict.action {
        Action::Reject => refused(550, 7, 1, "Message refused"),
        Action::Tempfail => refused(451, 7, 1, "Message deferred, try again later"),
        Action::Accept => match backend {
            Some(backend) => relay(backend, header.as_bytes(), &body).await,
            None => Err(Failure::Relay(RelayError::Unusable { stage: Stage::Data })),
        },
    };
    Outcome {
        action: verdict.action,
        score: verdict.score,
        result,
    }
}

/// Sends the message and records the backend's answer and latency (errors are recorded
/// where they are logged, in `conn`).
async fn relay(backend: &mut BackendSession, header: &[u8], body: &[u8]) -> Result<Reply, Failure> {
    let started = std::time::Instant::now();
    let result = backend.data(header, body).await;
    let seconds = started.elapsed().as_secs_f64();
    crate::metrics::relay_step("data", seconds);
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
