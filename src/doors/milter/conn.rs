//! One MTA connection to the milter: bytes in, commands through the session, answers out.
//! Each command must arrive within `milter.timeout`; a protocol error or a timeout ends the
//! connection (the MTA then applies its `milter_default_action`).

use super::codec::{Decoder, Response};
use super::session::{Session, Step};
use crate::config::policy::QuarantineConfig;
use crate::doors::scan_api::config::MilterQuarantine;
use crate::doors::{Door, Envelope, Judged, refused};
use crate::runtime::Runtime;
use crate::smtp::address::ReversePath;
use crate::verdict::Action;
use std::net::IpAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What one connection knows beyond the session: its runtime, id and connect findings.
struct Conn<'a> {
    rt: &'a Runtime,
    id: String,
    messages: u32,
    connection_findings: Vec<crate::checks::Finding>,
    /// The connect screen's refusal, answered at MAIL: the MTA tells whether its client
    /// authenticated only then, and an authenticated user on a listed address (a home or
    /// mobile network on a DNSBL) is sending mail, not probing the MX.
    held: Option<Response>,
}

/// Serves one MTA connection until it quits, errs or idles out.
pub async fn drive<S: AsyncRead + AsyncWrite + Unpin>(rt: &Runtime, mut stream: S) {
    let mut conn = Conn {
        rt,
        id: crate::doors::new_reference(),
        messages: 0,
        connection_findings: Vec::new(),
        held: None,
    };
    let mut session = Session::new(rt.config.limits.max_message_size);
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        loop {
            let command = match decoder.next_command() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    refused(Door::Milter, "protocol");
                    tracing::warn!(door = "milter", connection = %conn.id, error = %e, "milter protocol error; closing");
                    return;
                }
            };
            let step = session.handle(command);
            let answers = match conn.step(&mut session, step).await {
                Some(a) => a,
                None => return,
            };
            let bytes: Vec<u8> = answers.iter().flat_map(Response::encode).collect();
            if !bytes.is_empty() && stream.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let read = tokio::time::timeout(rt.config.milter.timeout, stream.read(&mut buf));
        match read.await {
            Err(_) => {
                refused(Door::Milter, "timeout");
                tracing::info!(door = "milter", connection = %conn.id, "MTA idle too long; closing");
                return;
            }
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => decoder.feed(&buf[..n]),
        }
    }
}

impl Conn<'_> {
    /// The answers to one step; `None`: close.
    async fn step(&mut self, s: &mut Session, step: Step) -> Option<Vec<Response>> {
        Some(match step {
            Step::Reply(r) => r,
            Step::Close => return None,
            Step::Connect(ip) => {
                let ip = ip.or_else(|| s.macro_value("client_addr")?.parse().ok());
                self.connect(ip.unwrap_or(IpAddr::from([127, 0, 0, 1])))
                    .await
            }
            Step::Mail => match &self.held {
                Some(refusal) if !s.authenticated() => {
                    refused(Door::Milter, "denied");
                    vec![refusal.clone()]
                }
                Some(_) => {
                    tracing::info!(door = "milter", connection = %self.id, "authenticated client: the connect screen's refusal does not apply");
                    vec![Response::Continue]
                }
                None => vec![Response::Continue],
            },
            Step::Rcpt(None) => vec![Response::Continue],
            Step::Rcpt(Some(rcpt)) => match crate::doors::screen_recipient(self.rt, &rcpt) {
                Ok(()) => {
                    s.add_recipient(rcpt);
                    vec![Response::Continue]
                }
                Err(refusal) => {
                    let reference = self.reference();
                    tracing::info!(target: "moat::refusal", door = "milter", reference = %reference, findings = %refusal.findings.join(","), reason = %refusal.reason, "recipient refused");
                    vec![reply_code(&refusal.reply, &reference)]
                }
            },
            Step::TooLarge => {
                refused(Door::Milter, "too_large");
                let reference = self.reference();
                s.message_done();
                vec![Response::ReplyCode(format!(
                    "552 5.3.4 Message too big (ref={reference})"
                ))]
            }
            Step::Judge => {
                let answers = self.end_of_message(s).await;
                s.message_done();
                self.messages += 1;
                answers
            }
        })
    }

    fn reference(&self) -> String {
        format!("{}-{}", self.id, self.messages)
    }

    async fn connect(&mut self, ip: IpAddr) -> Vec<Response> {
        match crate::doors::screen(self.rt, ip).await {
            Ok(findings) => {
                self.connection_findings = findings;
                vec![Response::Continue]
            }
            Err(refusal) => {
                self.held = Some(reply_code(&refusal.reply, &self.id));
                vec![Response::Continue]
            }
        }
    }

    async fn end_of_message(&mut self, s: &Session) -> Vec<Response> {
        let env = Envelope {
            reference: self.reference(),
            client_ip: s.client_ip.unwrap_or(IpAddr::from([127, 0, 0, 1])),
            helo: s.helo.clone(),
            from: s.from.clone().unwrap_or(ReversePath::Null),
            recipients: s.recipients.clone(),
        };
        if let Some(queue_id) = s.macro_value("i") {
            tracing::debug!(door = "milter", reference = %env.reference, queue_id = ?queue_id, "end of message");
        }
        let judged = judge(self.rt, &env, self.connection_findings.clone(), s.message()).await;
        let action = judged.verdict.action;
        if let Some(refusal) = super::edits::refusal(action, &env.reference) {
            return vec![refusal];
        }
        let config = &self.rt.config;
        let mut answers = super::edits::header_edits(
            &judged,
            &s.headers,
            &config.hostname,
            &config.policy.thresholds.subject_tag,
            s.leadspc(),
        );
        if action == Action::Quarantine {
            match config.milter.quarantine {
                MilterQuarantine::Hold => answers.push(Response::Quarantine(format!(
                    "Moat quarantine (ref={})",
                    env.reference
                ))),
                MilterQuarantine::Store => {
                    return store(&config.policy.quarantine, &env, &judged, s.message()).await;
                }
            }
        }
        answers.push(Response::Continue);
        answers
    }
}

/// The milter's one call into the pipeline: the end-of-DATA stage of `moat serve`, with the
/// findings of the connect screen.
async fn judge(
    rt: &Runtime,
    env: &Envelope,
    connection_findings: Vec<crate::checks::Finding>,
    message: Vec<u8>,
) -> Judged {
    crate::doors::judge(rt, Door::Milter, env, connection_findings, message).await
}

/// `milter.quarantine: store`: the message (with Moat's headers) durably in Moat's store,
/// then discarded by the MTA; a failed store defers the message instead.
async fn store(
    config: &QuarantineConfig,
    env: &Envelope,
    j: &Judged,
    message: Vec<u8>,
) -> Vec<Response> {
    let body = j.stripped.clone().unwrap_or(message);
    let body =
        crate::message::spam_headers::edit_message(&body, Action::AddHeader, "").into_owned();
    let store = crate::store::quarantine::Store::new(config);
    let meta = crate::store::quarantine::Meta {
        id: crate::store::quarantine::Store::new_id(),
        time: crate::rules::check::now_unix() as u64,
        reference: env.reference.clone(),
        client_ip: env.client_ip.to_string(),
        helo: env.helo.clone(),
        mail_from: env.from.address(),
        rcpt_to: env.recipients.iter().map(|r| r.address()).collect(),
        score: j.verdict.score,
        tests: j.verdict.tests(),
        subject: crate::store::quarantine::subject_of(&body),
    };
    let mut full = format!(
        "{}{}",
        j.auth_header,
        crate::message::spam_headers::headers(&j.verdict)
    )
    .into_bytes();
    full.extend_from_slice(&body);
    let id = meta.id.clone();
    let stored = tokio::task::spawn_blocking(move || store.store(&meta, &full)).await;
    match stored {
        Ok(Ok(())) => {
            tracing::info!(door = "milter", reference = %env.reference, quarantine_id = %id, "message quarantined");
            vec![Response::Discard]
        }
        failed => {
            let error = match failed {
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
                Ok(Ok(())) => String::new(),
            };
            tracing::error!(door = "milter", reference = %env.reference, error = %error, "quarantine store failed");
            vec![Response::ReplyCode(format!(
                "451 4.3.0 Local error, try again later (ref={})",
                env.reference
            ))]
        }
    }
}

/// The verdict's reply to a refusal, as the MTA is told to answer its client.
pub(super) fn reply_code(r: &crate::smtp::Reply, reference: &str) -> Response {
    let enhanced = r.enhanced.map(|e| format!(" {e}")).unwrap_or_default();
    Response::ReplyCode(format!(
        "{}{enhanced} {} (ref={reference})",
        r.code,
        r.text()
    ))
}
