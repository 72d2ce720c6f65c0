//! Drives one client connection: socket I/O, timeouts and shutdown around the sans-I/O
//! `Session`, and the lockstep backend transaction (MAIL and RCPT are asked of the backend
//! while the client waits, so its answer is the client's answer).

use crate::inbound::deliver;
use crate::inbound::stream::Stream;
use crate::message::headers::TlsInfo;
use crate::relay::BackendSession;
use crate::runtime::Runtime;
use crate::smtp::Reply;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::smtp::session::{Event, Session};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
// tokio's clock, which the session's timers also use: a test pauses both together.
use tokio::time::Instant;

/// Read size per call while a message is coming in: few syscalls per message.
const READ_CHUNK: usize = 16 * 1024;
/// Read size between messages: commands are short (RFC 5321 4.5.3.1.4: 512 bytes), and an idle
/// connection waiting in `read` holds this buffer, so it is kept small (see `read_buffer`).
const COMMAND_CHUNK: usize = 1024;

pub struct Conn {
    rt: Arc<Runtime>,
    peer: SocketAddr,
    stream: Stream,
    session: Session,
    backend: Option<BackendSession>,
    /// The backend holds MAIL (and maybe RCPTs) for the current client transaction.
    backend_in_transaction: bool,
    tls: Option<TlsInfo>,
    shutdown: watch::Receiver<bool>,
    started: Instant,
    messages_accepted: u32,
    /// What the checks of each stage leave for the later ones (carried findings, the
    /// transaction's SPF/iprev task, the refusals' finding ids).
    checks: crate::checks::SessionChecks,
    /// The greeting has been written (its latency is a metric).
    greeted: bool,
    /// The deadline of the command line under way.
    line_clock: crate::inbound::pace::LineClock,
    /// The session's entry in the connection table's shedding registry (none in tests).
    shed: Option<crate::inbound::slots::shed::Watch>,
}

impl Conn {
    pub fn new(
        rt: Arc<Runtime>,
        tcp: TcpStream,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) -> Conn {
        let session = Session::new(rt.session.clone(), new_session_id());
        Conn {
            rt,
            peer,
            stream: Stream::Plain(tcp),
            session,
            backend: None,
            backend_in_transaction: false,
            tls: None,
            shutdown,
            started: Instant::now(),
            messages_accepted: 0,
            checks: Default::default(),
            greeted: false,
            line_clock: Default::default(),
            shed: None,
        }
    }

    /// Lets the connection table shed this session when it is nearly full.
    pub fn sheddable(&mut self, watch: Option<crate::inbound::slots::shed::Watch>) {
        self.shed = watch;
    }

    /// Bytes the client sent that were read before the session (behind a PROXY header).
    pub fn early_input(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.session.feed(bytes);
        }
    }

    pub async fn run(mut self) {
        use tracing::Instrument;
        let span =
            tracing::info_span!("session", id = %self.session.id(), client = %self.peer.ip());
        let end = async {
            match Box::pin(self.open()).await {
                Ok(()) => self.serve().await,
                Err(end) => end,
            }
        }
        .instrument(span)
        .await;
        if let Some(backend) = self.backend.take() {
            // Back to the backend connection pool when clean, else closed.
            Box::pin(self.rt.relay.release(backend)).await;
        }
        let findings = self.checks.refusal_ids();
        tracing::info!(
            target: "moat::session",
            session = self.session.id(),
            client = %self.peer.ip(),
            helo = self.session.hello().map(|h| h.name.as_str()).unwrap_or(""),
            tls = self.tls.as_ref().map(|t| t.version.as_str()).unwrap_or("none"),
            messages = self.messages_accepted,
            end = end.as_str(),
            duration_ms = self.started.elapsed().as_millis() as u64,
            findings = %findings,
            "session"
        );
        crate::metrics::session_end(end.as_str());
    }

    /// Before the greeting: the connect stage (`stages`) and the pre-greet test queue the
    /// greeting or a refusal; what an early talker sent is fed to the session.
    async fn open(&mut self) -> Result<(), End> {
        use crate::reputation::pregreet::{self, Pregreet};
        if let Err(refusal) = Box::pin(self.connect_stage()).await {
            self.session.refuse_connection(refusal.reply);
            return Ok(());
        }
        match pregreet::wait(&self.rt.config.reputation, &mut self.stream).await {
            Pregreet::Quiet => self.session.greet(),
            Pregreet::Talked { input, finding } => match self.pregreet_stage(finding) {
                Ok(()) => {
                    self.session.greet();
                    self.session.feed(&input);
                }
                Err(refusal) => self.session.refuse_connection(refusal.reply),
            },
            Pregreet::Closed => return Err(End::ClientClosed),
        }
        Ok(())
    }

    async fn serve(&mut self) -> End {
        let mut buf = Vec::new();
        loop {
            match self.session.poll() {
                Event::NeedInput => {
                    if let Err(end) = self.flush().await {
                        return end;
                    }
                    read_buffer(&mut buf, self.session.in_data());
                    match self.read(&mut buf).await {
                        Ok(0) => return End::ClientClosed,
                        Ok(n) => self.session.feed(&buf[..n]),
                        Err(end) => {
                            // The session queued its 421; send it before closing.
                            let _ = self.flush().await;
                            return end;
                        }
                    }
                }
                Event::Hello { name } => match self.helo_stage(&name) {
                    Ok(()) => self.session.proceed(),
                    Err(refusal) => self.session.refuse(refusal.reply, refusal.strike),
                },
                Event::Mail { from, params } => {
                    if let Err(refusal) = Box::pin(self.mail_stage()).await {
                        self.stop_auth();
                        self.session.refuse(refusal.reply, refusal.strike);
                        continue;
                    }
                    let reply = Box::pin(self.backend_mail(&from, &params)).await;
                    self.start_auth(&reply, &from);
                    self.session.resolve(reply);
                }
                Event::Rcpt { to } => {
                    let from = self.session.transaction().map(|t| t.from.clone());
                    if let Err(refusal) = Box::pin(self.rcpt_stage(from.as_ref(), &to)).await {
                        self.session.refuse(refusal.reply, refusal.strike);
                        continue;
                    }
                    let reply = Box::pin(self.backend_rcpt(&to)).await;
                    let reply = self.backend_refused_rcpt(reply);
                    self.session.resolve(reply);
                }
                Event::Message { body } => {
                    // Boxed: the checks and delivery make a large future, which would
                    // otherwise be part of every idle connection's task.
                    let reply = Box::pin(self.message(body)).await;
                    self.session.resolve(reply);
                }
                Event::Reset => {
                    self.stop_auth();
                    Box::pin(self.backend_reset()).await
                }
                Event::StartTls => {
                    if let Err(end) = Box::pin(self.start_tls()).await {
                        return end;
                    }
                }
                Event::Close => {
                    // The backend connection goes back to the pool before the client hears
                    // the last reply: ready for the next session at once.
                    if let Some(backend) = self.backend.take() {
                        Box::pin(self.rt.relay.release(backend)).await;
                    }
                    let _ = self.flush().await;
                    let _ = self.stream.shutdown().await;
                    return if self.session.quit_received() {
                        End::Quit
                    } else {
                        End::ProtocolClose
                    };
                }
            }
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        if !self.session.has_output() {
            return Ok(());
        }
        let out = self.session.take_output();
        let write = async {
            self.stream.write_all(&out).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.rt.config.limits.timeouts.command, write).await {
            Ok(Ok(())) if !self.greeted => {
                self.greeted = true;
                crate::metrics::stage("greeting", self.started.elapsed().as_secs_f64());
                Ok(())
            }
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::IoError),
            Err(_) => Err(End::Timeout),
        }
    }

    /// Reads more input, honouring the idle timeout, the command line deadline, the session
    /// deadline, shedding and shutdown. On any of those the session has queued its 421 and
    /// `Err` says why.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, End> {
        let limits = &self.rt.config.limits.timeouts;
        let idle = if self.session.in_data() {
            limits.data
        } else if self.session.is_fresh() {
            limits.greeting
        } else {
            limits.command
        };
        let line = self.line_clock.next_wait(
            &self.session,
            idle,
            limits.command_line,
            Instant::now().into_std(),
        );
        let left = limits.session.saturating_sub(self.started.elapsed());
        let wait = line.duration.min(left).max(Duration::from_millis(1));
        // Sessions waiting for a command are closed at shutdown; those receiving a message
        // finish it first (within the grace period, after which the process exits).
        let interruptible = !self.session.in_data();
        let waiting = crate::inbound::slots::shed::Waiting::of(&self.session);
        if !self.shed.as_mut().is_none_or(|w| w.waiting(waiting)) {
            return Err(self.shed());
        }
        let mut shutdown = self.shutdown.clone();
        let result = tokio::select! {
            r = tokio::time::timeout(wait, self.stream.read(buf)) => match r {
                Ok(Ok(n)) => Ok(n),
                Ok(Err(_)) => Err(End::IoError),
                Err(_) => {
                    self.session.timeout();
                    Err(if line.line_deadline && line.duration <= left { End::SlowCommand } else { End::Timeout })
                }
            },
            _ = wait_for_shutdown(&mut shutdown), if interruptible => {
                self.session.shutdown();
                Err(End::Shutdown)
            }
            // Only sessions the table may shed are told (never a healthy DATA transfer).
            _ = crate::inbound::slots::shed::signal(self.shed.as_ref()) => Err(self.shed()),
        };
        match result {
            Ok(n) if !self.shed.as_ref().is_none_or(|w| w.working(n)) => Err(self.shed()),
            other => other,
        }
    }

    /// The connection table shed this session: 421 queued, and the reason to close.
    fn shed(&mut self) -> End {
        self.session.shed();
        End::Shed
    }

    async fn start_tls(&mut self) -> Result<(), End> {
        self.flush().await?;
        self.backend_reset().await;
        let (Some(acceptor), Some(tcp)) = (self.rt.tls.clone(), self.stream.take_plain()) else {
            return Err(End::TlsFailed);
        };
        let handshake = acceptor.accept(tcp);
        // A handshake is bounded like a command line: a client dribbling it is cut.
        let limits = &self.rt.config.limits.timeouts;
        let bound = limits.command.min(limits.command_line);
        match tokio::time::timeout(bound, handshake).await {
            Ok(Ok(tls)) => {
                let info = crate::inbound::tls::info(tls.get_ref().1);
                tracing::debug!(session = self.session.id(), version = %info.version, cipher = %info.cipher, "TLS established");
                crate::metrics::tls_handshake(&info.version, "success");
                self.tls = Some(info);
                self.stream = Stream::Tls(Box::new(tls));
                self.session.tls_established();
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::info!(session = self.session.id(), client = %self.peer.ip(), error = %e, "TLS handshake failed");
                crate::metrics::tls_handshake("unknown", "failure");
                Err(End::TlsFailed)
            }
            Err(_) => {
                crate::metrics::tls_handshake("unknown", "timeout");
                Err(End::TlsFailed)
            }
        }
    }

    /// End of DATA: checks, verdict, delivery; the backend's answer becomes the client's.
    async fn message(&mut self, body: Vec<u8>) -> Reply {
        let started = Instant::now();
        let txn = self
            .session
            .transaction()
            .cloned()
            .expect("a message belongs to a transaction");
        let size = body.len();
        let reference = self.session.reference();
        let helo = self.session.hello().cloned();
        let request = deliver::Request {
            reference: &reference,
            client_ip: self.peer.ip(),
            helo: helo.as_ref(),
            tls: self.tls.as_ref(),
            transaction: &txn,
            auth: self.checks.envelope.take(),
            connection_findings: self.session_findings(),
        };
        let backend = self.backend.as_mut().filter(|b| b.is_usable());
        let outcome = deliver::deliver(&self.rt, request, body, backend).await;
        self.backend_in_transaction = false;
        let reply = match outcome.result {
            Ok(reply) => reply,
            Err(deliver::Failure::Relay(e)) => self.relay_failed(e),
            Err(deliver::Failure::Refused(reply)) => {
                self.backend_reset_after_refusal().await;
                reply
            }
        };
        if reply.is_positive() {
            self.messages_accepted += 1;
        }
        tracing::info!(
            target: "moat::message",
            reference = %reference,
            client = %self.peer.ip(),
            helo = helo.as_ref().map(|h| h.name.as_str()).unwrap_or(""),
            tls = self.tls.as_ref().map(|t| t.version.as_str()).unwrap_or("none"),
            from = %txn.from.address(),
            to = %txn.recipients.iter().map(Mailbox::address).collect::<Vec<_>>().join(","),
            size,
            action = outcome.action.as_str(),
            score = outcome.score,
            findings = %outcome.findings,
            reply = %reply,
            duration_ms = started.elapsed().as_millis() as u64,
            "message"
        );
        crate::metrics::message(outcome.action.as_str(), reply.code, size);
        crate::metrics::stage("transaction", started.elapsed().as_secs_f64());
        reply
    }

    /// What the session established before this message, for its verdict: the connection's
    /// findings (DNSBL/DNSWL, pre-greet, pipelining) and the refusals so far.
    fn session_findings(&self) -> Vec<crate::checks::Finding> {
        let mut findings = crate::reputation::session_findings(
            &self.rt.config.table,
            &self.checks.carried,
            self.session.pipelined_unadvertised(),
        );
        findings.extend_from_slice(self.checks.refusal_findings());
        findings
    }

    /// Starts SPF and iprev once MAIL FROM is accepted, so they run during RCPT and DATA.
    fn start_auth(&mut self, reply: &Reply, from: &ReversePath) {
        self.stop_auth();
        if let (Some(auth), true) = (&self.rt.auth, reply.is_positive()) {
            let helo = self.session.hello().map(|h| h.name.as_str()).unwrap_or("");
            self.checks.envelope = Some(auth.start(self.peer.ip(), helo, from));
        }
    }

    fn stop_auth(&mut self) {
        self.checks.stop_envelope();
    }
}

/// Sizes the read buffer for what comes next: `READ_CHUNK` inside DATA, `COMMAND_CHUNK`
/// otherwise (the large buffer is given back after each message).
fn read_buffer(buf: &mut Vec<u8>, in_data: bool) {
    let want = if in_data { READ_CHUNK } else { COMMAND_CHUNK };
    if buf.len() != want {
        *buf = vec![0u8; want];
    }
}

async fn wait_for_shutdown(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            // The server is gone without a shutdown signal: never fire.
            std::future::pending::<()>().await;
        }
    }
}

mod end;
use end::End;
mod id;
pub use id::new_session_id;

mod backend;
mod stages;

#[cfg(test)]
mod tests;
