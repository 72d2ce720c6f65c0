//! The SMTP session state machine, without I/O. The driver (`crate::inbound::conn`) feeds it bytes,
//! asks it for the next `Event`, does whatever the event needs (talk to the backend, run
//! checks, handshake TLS) and hands the outcome back with `resolve`. Replies accumulate in an
//! output buffer the driver flushes whenever the session needs more input, which is exactly
//! what RFC 2920 pipelining asks for.

use super::address::{Mailbox, ReversePath};
use super::command;
use super::data::DataReceiver;
use super::line::{Frame, LineFramer};
use super::params::MailParams;
use super::reply::Reply;
use crate::config::{BareNewline, Domains, Limits, NulBytes, QuotedLocalParts};
use std::sync::Arc;

/// Input capacity an idle session may keep; more (left by a message) is freed once drained.
const IDLE_INPUT: usize = 4096;

/// What a session needs to know about its server; shared by all sessions of one config.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub hostname: String,
    pub domains: Domains,
    /// Used for `RCPT TO:<postmaster>`, which RFC 5321 requires without a domain.
    pub postmaster_domain: String,
    pub limits: Limits,
    pub bare_newline: BareNewline,
    /// `smtp.nul_bytes`: NUL inside a message is refused (or stripped).
    pub nul_bytes: NulBytes,
    /// `smtp.quoted_local_parts`: paths like `"john doe"@…` are refused unless accepted.
    pub quoted_local_parts: QuotedLocalParts,
    /// STARTTLS is offered (a certificate is configured).
    pub tls_available: bool,
    /// Recipients one transaction may carry for the backend to answer exactly (LMTP: 1).
    pub backend_max_recipients: Option<usize>,
    /// The process's memory budget, which every message reserves from (`crate::budget`).
    pub memory: Arc<crate::budget::MemoryBudget>,
}

impl SessionConfig {
    /// What sessions need from `config`, with what only the server knows: whether STARTTLS
    /// is offered, how many recipients the backend can answer per transaction, and the
    /// process's one memory budget.
    pub fn from_config(
        config: &crate::config::Config,
        tls_available: bool,
        backend_max_recipients: Option<usize>,
        memory: Arc<crate::budget::MemoryBudget>,
    ) -> SessionConfig {
        let postmaster_domain = config.domains.primary().unwrap_or(&config.hostname);
        SessionConfig {
            hostname: config.hostname.clone(),
            domains: config.domains.clone(),
            postmaster_domain: postmaster_domain.to_string(),
            limits: config.limits.clone(),
            bare_newline: config.bare_newline,
            nul_bytes: config.nul_bytes,
            quoted_local_parts: config.quoted_local_parts,
            tls_available,
            backend_max_recipients,
            memory,
        }
    }
}

/// The client's EHLO/HELO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub name: String,
    pub extended: bool,
}

/// One mail transaction: what MAIL FROM and the accepted RCPT TOs established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub from: ReversePath,
    pub params: MailParams,
    pub recipients: Vec<Mailbox>,
}

/// What the driver must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Flush output, then read more input (or call `timeout` / `shutdown`).
    NeedInput,
    /// A well-formed HELO/EHLO: run the HELO stage's checks, then `proceed` (the session
    /// answers with its greeting and capabilities) or `refuse`.
    Hello { name: String },
    /// Run the MAIL stage's checks and open the backend transaction (lockstep relay);
    /// answer with `resolve`, or `refuse`.
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    /// Run the RCPT stage's checks (relaying, lists, rates …) and ask the backend about this
    /// recipient; answer with `resolve`, or `refuse`.
    Rcpt { to: Mailbox },
    /// A complete message for `transaction()`: check, decide, deliver, then `resolve`.
    Message { body: Vec<u8> },
    /// The transaction was abandoned (RSET, EHLO, STARTTLS); reset the backend's too.
    Reset,
    /// Flush output (the 220), discard nothing else — the session already dropped what the
    /// client pipelined — then handshake and call `tls_established`.
    StartTls,
    /// Flush output and close the connection.
    Close,
}

#[derive(Debug)]
enum Phase {
    Command,
    Data(Box<DataReceiver>),
    /// Waiting for the driver to `resolve` the event it was given.
    Pending(Pending),
    Closed,
}

#[derive(Debug)]
enum Pending {
    Hello(Hello),
    Mail(ReversePath, MailParams),
    Rcpt(Mailbox),
    /// The message's room in the memory budget, held until its outcome is resolved.
    Message(Option<crate::budget::Reservation>),
}

#[derive(Debug)]
pub struct Session {
    cfg: Arc<SessionConfig>,
    id: String,
    input: Vec<u8>,
    out: Vec<u8>,
    framer: LineFramer,
    phase: Phase,
    hello: Option<Hello>,
    tls_active: bool,
    transaction: Option<Transaction>,
    /// Messages started (MAIL accepted) in this session; numbers reference ids.
    messages: u32,
    commands: u32,
    bad_commands: u32,
    /// The client said QUIT (as opposed to Moat closing the session).
    quit: bool,
    /// The client sent a command behind another before its reply although PIPELINING was
    /// not advertised to it (no EHLO yet, or HELO): a bot writing blind (`crate::reputation`).
    pipelined_unadvertised: bool,
    /// An accepted HELO/EHLO ended a transaction: the next `poll` says `Event::Reset`.
    owe_reset: bool,
}

impl Session {
    pub fn new(cfg: Arc<SessionConfig>, id: String) -> Session {
        let framer = LineFramer::new(cfg.limits.max_command_line, cfg.bare_newline);
        Session {
            cfg,
            id,
            input: Vec::new(),
            out: Vec::new(),
            framer,
            phase: Phase::Command,
            hello: None,
            tls_active: false,
            transaction: None,
            messages: 0,
            commands: 0,
            bad_commands: 0,
            quit: false,
            pipelined_unadvertised: false,
            owe_reset: false,
        }
    }

    /// Queues the `220` greeting.
    pub fn greet(&mut self) {
        let text = format!("{} ESMTP Moat", self.cfg.hostname);
        self.reply(Reply::new(220, None, text));
    }

    /// Whether the client pipelined without having been offered PIPELINING.
    pub fn pipelined_unadvertised(&self) -> bool {
        self.pipelined_unadvertised
    }

    /// Instead of the greeting: refuse the connection (a DNSBL listing) and close.
    pub fn refuse_connection(&mut self, reply: Reply) {
        self.close_with(reply);
    }

    /// The reference id of the current (or last) message: `<session>-<n>`.
    pub fn reference(&self) -> String {
        format!("{}-{}", self.id, self.messages)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    pub fn transaction(&self) -> Option<&Transaction> {
        self.transaction.as_ref()
    }

    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// Receiving message data (timeouts differ, and shutdown lets it finish).
    pub fn in_data(&self) -> bool {
        matches!(self.phase, Phase::Data(_))
    }

    /// No command has been received yet (the greeting timeout applies).
    pub fn is_fresh(&self) -> bool {
        self.commands == 0
    }

    pub fn quit_received(&self) -> bool {
        self.quit
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Bytes to send to the client; the buffer is left empty.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Appends bytes read from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received but not yet processed.
    pub fn buffered_input(&self) -> usize {
        self.input.len()
    }

    /// A command line has begun but not ended (its bytes, or its discarded over-long
    /// part, arrived; the CRLF has not): the line deadline runs (`crate::inbound::pace`).
    pub fn mid_command(&self) -> bool {
        matches!(self.phase, Phase::Command)
            && (!self.input.is_empty() || self.framer.is_discarding())
    }

    /// Command lines ended so far, good or bad: each one restarts the line deadline.
    pub fn lines_received(&self) -> u32 {
        self.commands + self.bad_commands
    }

    /// The connection table is nearly full and this session, idle longest (or stalled, or
    /// dribbling its message), makes room for a new one (`crate::inbound::slots::shed`): 421 and
    /// close. Nothing was accepted that is lost: a message under way was not answered yet.
    pub fn shed(&mut self) {
        self.close_with(Reply::status(
            421,
            7,
            0,
            "Too many connections, closing idle or slow session; try again later",
        ));
    }

    /// The client was idle too long: 421 and close.
    pub fn timeout(&mut self) {
        self.close_with(Reply::status(421, 4, 2, "Timeout, closing connection"));
    }

    /// The server is stopping: 421 and close.
    pub fn shutdown(&mut self) {
        self.close_with(Reply::status(
            421,
            3,
            2,
            "Service shutting down, try again later",
        ));
    }

    /// The TLS handshake after STARTTLS succeeded; the session starts afresh (RFC 3207 4.2).
    pub fn tls_established(&mut self) {
        self.tls_active = true;
    }

    /// The next thing the driver must do.
    pub fn poll(&mut self) -> Event {
        if std::mem::take(&mut self.owe_reset) {
            return Event::Reset;
        }
        loop {
            match &mut self.phase {
                Phase::Closed => return Event::Close,
                Phase::Pending(_) => panic!("poll() while an event awaits resolve()"),
                Phase::Data(receiver) => match receiver.feed(&self.input) {
                    None => {
                        self.input.clear();
                        return Event::NeedInput;
                    }
                    Some(used) => {
                        self.input.drain(..used);
                        let Phase::Data(mut receiver) =
                            std::mem::replace(&mut self.phase, Phase::Command)
                        else {
                            unreachable!()
                        };
                        let reservation = receiver.take_reservation();
                        match receiver.finish() {
                            Ok(body) => {
                                self.phase = Phase::Pending(Pending::Message(reservation));
                                return Event::Message { body };
                            }
                            Err(problem) => {
                                // The backend already holds MAIL and RCPT: reset it too.
                                self.data_refused(problem);
                                return Event::Reset;
                            }
                        }
                    }
                },
                Phase::Command => match self.framer.next(&self.input) {
                    Frame::Incomplete { discard } => {
                        self.input.drain(..discard);
                        // Give back what a message or a burst needed: idle sessions stay small.
                        if self.input.is_empty() && self.input.capacity() > IDLE_INPUT {
                            self.input = Vec::new();
                        }
                        return Event::NeedInput;
                    }
                    Frame::TooLong { consumed } => {
                        self.input.drain(..consumed);
                        self.bad_command(Reply::status(500, 5, 2, "Line too long"));
                    }
                    Frame::BareNewline { consumed } => {
                        self.input.drain(..consumed);
                        self.bad_command(Reply::status(500, 5, 2, "Bare CR or LF in command"));
                    }
                    Frame::Line { len, consumed } => {
                        let parsed = command::parse(&self.input[..len]);
                        self.input.drain(..consumed);
                        if self.input.contains(&b'\n')
                            && !self.hello.as_ref().is_some_and(|h| h.extended)
                        {
                            self.pipelined_unadvertised = true;
                        }
                        self.commands += 1;
                        if self.commands > self.cfg.limits.max_commands {
                            self.close_with(Reply::status(421, 7, 0, "Too many commands"));
                            continue;
                        }
                        let event = match parsed {
                            Ok(cmd) => self.command(cmd),
                            Err(e) => {
                                self.bad_command(e.reply());
                                None
                            }
                        };
                        if let Some(event) = event {
                            return event;
                        }
                    }
                },
            }
        }
    }

    /// The HELO stage let the pending `Hello` through: the session greets the client.
    pub fn proceed(&mut self) {
        match self.take_pending("proceed") {
            Pending::Hello(hello) => self.hello_accepted(hello),
            other => panic!("proceed() on {other:?}"),
        }
    }

    /// A stage's checks refused the pending `Hello`, `Mail` or `Rcpt` (or a message): the
    /// verdict's reply goes to the client and nothing of the command is kept. A `strike`
    /// counts as a bad command (`limits.max_bad_commands`), as the client asked for what it
    /// can never have.
    pub fn refuse(&mut self, reply: Reply, strike: bool) {
        if let Pending::Message(_reservation) = self.take_pending("refuse") {
            self.transaction = None;
        }
        match strike {
            true => self.bad_command(reply),
            false => self.reply(reply),
        }
    }

    fn take_pending(&mut self, what: &str) -> Pending {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Pending(pending) => pending,
            _ => panic!("{what}() without a pending event"),
        }
    }

    /// Hands back the outcome of `Mail`, `Rcpt` or `Message`: the reply for the client.
    pub fn resolve(&mut self, reply: Reply) {
        let pending = self.take_pending("resolve");
        let accepted = reply.is_positive();
        match pending {
            Pending::Hello(_) => panic!("a Hello is answered with proceed() or refuse()"),
            Pending::Mail(from, params) if accepted => {
                self.transaction = Some(Transaction {
                    from,
                    params,
                    recipients: Vec::new(),
                });
            }
            Pending::Rcpt(to) if accepted => {
                if let Some(t) = self.transaction.as_mut() {
                    t.recipients.push(to);
                }
            }
            // The message is delivered or refused: its room in the budget is given back.
            Pending::Message(_reservation) => self.transaction = None,
            _ => {}
        }
        self.reply(reply);
    }

    /// A limit is the count allowed, like `max_commands`: the bad command past
    /// `max_bad_commands` gets its own reply, then 421 and the close.
    fn bad_command(&mut self, reply: Reply) {
        self.bad_commands += 1;
        if self.bad_commands > self.cfg.limits.max_bad_commands {
            self.reply(reply);
            let r = Reply::status(421, 7, 0, "Too many errors, closing connection");
            self.close_with(r);
        } else {
            self.reply(reply);
        }
    }

    /// Queues a reply. Every refusal or deferral (4xx/5xx), Moat's or the backend's, carries
    /// the reference id that the log lines carry, so an administrator can find the reason.
    fn reply(&mut self, mut reply: Reply) {
        if reply.code >= 400
            && let Some(last) = reply.lines.last_mut()
            && !last.contains("(ref=")
        {
            let reference = self.reference();
            last.push_str(&format!(" (ref={reference})"));
            // The driver's span adds the session id and client address.
            tracing::info!(target: "moat::refusal", reference = %reference, reply = %reply, "refused");
        }
        reply.write_to(&mut self.out);
    }

    fn close_with(&mut self, reply: Reply) {
        self.reply(reply);
        self.input.clear();
        self.phase = Phase::Closed;
    }
}

mod commands;
#[cfg(test)]
pub(crate) mod tests;
