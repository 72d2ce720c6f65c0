//! SMTP and LMTP client for the in-line relay. Commands go in lock-step: the driver needs each
//! backend answer before it answers its own client anyway. Two exceptions save round trips
//! when the backend advertises the extension (and the config allows it), see
//! `smtp_pipeline.rs`: MAIL is held back and pipelined with the first RCPT (RFC 2920), and the
//! message goes as one `BDAT <n> LAST` instead of DATA, 354 and a dot-stuffed body (RFC 3030).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use super::dotstuff::DotStuffer;
use super::reply::parse_reply;
use super::{RelayError, Stage};
use crate::config::BackendTimeouts;
use crate::smtp::{MailParams, Reply};

/// Size of the writes that carry the message: large enough that a message costs few syscalls.
const CHUNK: usize = 64 * 1024;
/// Upper bound on waiting for the answer to QUIT: nothing depends on it, so a hung backend
/// should not hold a finished session for the whole command timeout.
const QUIT_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Smtp,
    Lmtp,
}

/// Where and how to reach an SMTP/LMTP backend; shared by all sessions.
#[derive(Debug)]
pub struct SmtpTarget {
    /// `host:port`.
    pub address: String,
    pub protocol: Protocol,
    /// Name announced in EHLO/LHLO/HELO.
    pub helo: String,
    pub timeouts: BackendTimeouts,
    /// `backend.pipelining`: PIPELINING may be used when the backend advertises it.
    pub pipelining: bool,
    /// `backend.chunking`: BDAT may be used when the backend advertises CHUNKING.
    pub chunking: bool,
}

mod commands;
pub use commands::{Capabilities, combine_lmtp, mail_command};
use commands::{is_2xx, unsafe_address};

/// Runs `fut` under a timeout that is reported as a failure at `stage`.
async fn within<T>(
    stage: Stage,
    after: Duration,
    fut: impl Future<Output = Result<T, RelayError>>,
) -> Result<T, RelayError> {
    timeout(after, fut)
        .await
        .unwrap_or(Err(RelayError::Timeout { stage, after }))
}

/// The TCP connection and the bytes read from it but not yet parsed.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    rbuf: Vec<u8>,
}

impl Conn {
    async fn read_reply(&mut self, stage: Stage) -> Result<Reply, RelayError> {
        loop {
            match parse_reply(&self.rbuf) {
                Err(source) => return Err(RelayError::BadReply { stage, source }),
                Ok(Some((reply, n))) => {
                    self.rbuf.drain(..n);
                    tracing::debug!(%stage, reply = %reply, "backend reply");
                    return Ok(reply);
                }
                Ok(None) => {}
            }
            // Straight into the buffer's spare room: no zeroed 4 KiB chunk to copy from,
            // and none held in this future (and in every future awaiting it).
            self.rbuf.reserve(4096);
            let n = self
                .stream
                .read_buf(&mut self.rbuf)
                .await
                .map_err(|source| RelayError::Io { stage, source })?;
            if n == 0 {
                return Err(RelayError::Closed { stage });
            }
        }
    }

    async fn write(&mut self, stage: Stage, bytes: &[u8]) -> Result<(), RelayError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|source| RelayError::Io { stage, source })
    }

    /// Sends one command line and reads its reply, both within `after`.
    async fn command(
        &mut self,
        stage: Stage,
        line: &str,
        after: Duration,
    ) -> Result<Reply, RelayError> {
        // Commands are not pipelined, so unread bytes here are a reply to nothing. Reading it
        // as the answer to this command would shift every later answer by one: refuse instead.
        if !self.rbuf.is_empty() {
            return Err(RelayError::Unexpected { stage });
        }
        tracing::debug!(%stage, command = line.trim_end(), "backend command");
        within(stage, after, async {
            self.write(stage, line.as_bytes()).await?;
            self.read_reply(stage).await
        })
        .await
    }
}

/// An open SMTP/LMTP session with the backend.
#[derive(Debug)]
pub struct SmtpSession {
    target: Arc<SmtpTarget>,
    conn: Conn,
    caps: Capabilities,
    /// MAIL was accepted and no end of data or RSET has closed the transaction: the next MAIL
    /// must be preceded by RSET, whatever the driver did in between.
    in_transaction: bool,
    /// A MAIL answered locally and not yet sent: it goes out with the next RCPT.
    /// Boxed: it is rare next to the session's lifetime, and keeps the session small.
    deferred: Option<Box<pipeline::Deferred>>,
    /// RCPTs answered 2xx in this transaction: an LMTP server sends that many final replies.
    accepted_rcpts: usize,
    /// The backend answered 421 and is closing the connection.
    closing: bool,
    /// MAIL commands sent on this connection (the pool's `max_transactions`).
    transactions: u32,
    /// The connection has been in the backend pool.
    pooled: bool,
}

impl SmtpSession {
    /// TCP connect and greeting (together within the connect timeout), then EHLO/LHLO.
    pub async fn open(target: Arc<SmtpTarget>) -> Result<SmtpSession, RelayError> {
        let t = target.timeouts;
        let deadline = Instant::now() + t.connect;
        let stream = match timeout_at(deadline, TcpStream::connect(&target.address)).await {
            Err(_) => {
                return Err(RelayError::Timeout {
                    stage: Stage::Connect,
                    after: t.connect,
                });
            }
            Ok(Err(source)) => {
                return Err(RelayError::Connect {
                    address: target.address.clone(),
                    source,
                });
            }
            Ok(Ok(stream)) => stream,
        };
        // Lock-step commands are small writes each waiting for an answer: Nagle only adds delay.
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            stream,
            rbuf: Vec::new(),
        };
        let greeting = timeout_at(deadline, conn.read_reply(Stage::Greeting))
            .await
            .unwrap_or(Err(RelayError::Timeout {
                stage: Stage::Greeting,
                after: t.connect,
            }))?;
        if greeting.code != 220 {
            return Err(RelayError::Greeting { reply: greeting });
        }
        let mut caps = hello(&mut conn, &target).await?;
        // Extensions switched off in the config are treated as not advertised.
        caps.pipelining &= target.pipelining;
        caps.chunking &= target.chunking;
        Ok(SmtpSession {
            target,
            conn,
            caps,
            in_transaction: false,
            deferred: None,
            accepted_rcpts: 0,
            closing: false,
            transactions: 0,
            pooled: false,
        })
    }

    /// A new connection to the same backend.
    pub async fn reopen(&self) -> Result<SmtpSession, RelayError> {
        SmtpSession::open(self.target.clone()).await
    }

    /// MAIL commands sent so far (the pool's `max_transactions`).
    pub fn transactions(&self) -> u32 {
        self.transactions
    }

    /// The connection has idled (in the pool, or between transactions) since it was opened,
    /// so the backend may have closed it meanwhile.
    pub fn has_idled(&self) -> bool {
        self.pooled || self.transactions > 0
    }

    /// Notes that the connection goes into the pool. A MAIL still held back was never sent,
    /// so the backend holds nothing for it: it is forgotten.
    pub fn mark_pooled(&mut self) {
        self.pooled = true;
        self.deferred = None;
    }

    /// A backend transaction is open (MAIL accepted, no final reply or RSET since).
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Probes an idle connection without blocking: bytes nobody asked for (an idle-timeout
    /// `421`), end of stream or an error mean it must not be used.
    pub fn is_stale(&self) -> bool {
        if !self.conn.rbuf.is_empty() || self.closing {
            return true;
        }
        let mut byte = [0u8; 1];
        match self.conn.stream.try_read(&mut byte) {
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
            Ok(_) => true,
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }

    pub fn is_usable(&self) -> bool {
        !self.closing
    }

    async fn command(&mut self, stage: Stage, line: &str) -> Result<Reply, RelayError> {
        let reply = self
            .conn
            .command(stage, line, self.target.timeouts.command)
            .await?;
        self.closing |= reply.code == 421;
        Ok(reply)
    }

    pub async fn mail(&mut self, from: &str, params: &MailParams) -> Result<Reply, RelayError> {
        if params.smtputf8 && !self.caps.smtputf8 {
            // RFC 6531 3.4: a relay whose next hop lacks SMTPUTF8 must not pass the message on.
            return Ok(Reply::status(
                553,
                6,
                7,
                "SMTPUTF8 is not supported by the mail server",
            ));
        }
        if unsafe_address(from) {
            return Ok(Reply::status(501, 1, 7, "Bad sender address syntax"));
        }
        if self.in_transaction {
            self.rset().await?;
        }
        if self.caps.pipelining {
            return Ok(self.defer_mail(from, params));
        }
        let line = mail_command(from, params, &self.caps);
        self.transactions += 1;
        let reply = self.command(Stage::Mail, &line).await?;
        self.in_transaction = is_2xx(&reply);
        self.accepted_rcpts = 0;
        Ok(reply)
    }

    pub async fn rcpt(&mut self, to: &str) -> Result<Reply, RelayError> {
        if unsafe_address(to) {
            return Ok(Reply::status(501, 1, 3, "Bad recipient address syntax"));
        }
        if let Some(mail) = self.deferred.take() {
            return self.mail_and_rcpt(mail, to).await;
        }
        let reply = self
            .command(Stage::Rcpt, &format!("RCPT TO:<{to}>\r\n"))
            .await?;
        if is_2xx(&reply) {
            self.accepted_rcpts += 1;
        }
        Ok(reply)
    }

    pub async fn data(&mut self, headers: &[u8], body: &[u8]) -> Result<Reply, RelayError> {
        if self.deferred.is_some() {
            // No RCPT reached the backend, so it has no transaction to take a message.
            return Ok(Reply::status(503, 5, 1, "No valid recipients"));
        }
        if self.caps.chunking {
            self.send_bdat(headers, body).await?;
            return self.final_replies().await;
        }
        let reply = self.command(Stage::Data, "DATA\r\n").await?;
        if reply.code != 354 {
            // The backend's transaction state is now its own business; `in_transaction` stays
            // set so that the next MAIL starts with RSET.
            return Ok(reply);
        }
        self.send_message(headers, body).await?;
        self.final_replies().await
    }

    /// The answer to the end of the message: one reply, or for LMTP one per accepted
    /// recipient, combined. Closes the transaction.
    async fn final_replies(&mut self) -> Result<Reply, RelayError> {
        let expected = match self.target.protocol {
            Protocol::Smtp => 1,
            Protocol::Lmtp => self.accepted_rcpts.max(1),
        };
        let after = self.target.timeouts.data;
        let mut replies = Vec::with_capacity(expected.min(64));
        for _ in 0..expected {
            let stage = Stage::DataEnd;
            let reply = within(stage, after, self.conn.read_reply(stage)).await?;
            self.closing |= reply.code == 421;
            replies.push(reply);
        }
        self.in_transaction = false;
        self.accepted_rcpts = 0;
        Ok(combine_lmtp(replies))
    }

    /// Streams headers and body, dot-stuffed, in writes of about `CHUNK` bytes; each write must
    /// make progress within the data timeout.
    async fn send_message(&mut self, headers: &[u8], body: &[u8]) -> Result<(), RelayError> {
        let (stage, after) = (Stage::Data, self.target.timeouts.data);
        let mut stuffer = DotStuffer::default();
        // Stuffing can at most double a piece, so the buffer never grows past 3 * CHUNK. A
        // small message gets a buffer its size (plus room for some stuffing), not 2 * CHUNK.
        let size = headers.len() + body.len();
        let mut out = Vec::with_capacity((size + size / 16 + 8).min(CHUNK * 2));
        for part in [headers, body] {
            for piece in part.chunks(CHUNK) {
                stuffer.push(piece, &mut out);
                if out.len() >= CHUNK {
                    within(stage, after, self.conn.write(stage, &out)).await?;
                    out.clear();
                }
            }
        }
        stuffer.finish(&mut out);
        within(stage, after, self.conn.write(stage, &out)).await?;
        tracing::debug!(bytes = headers.len() + body.len(), "backend message sent");
        Ok(())
    }

    pub async fn rset(&mut self) -> Result<(), RelayError> {
        if self.deferred.take().is_some() && !self.in_transaction {
            // Only a MAIL held back: the backend never saw it, nothing to reset.
            return Ok(());
        }
        let reply = self.command(Stage::Rset, "RSET\r\n").await?;
        if !is_2xx(&reply) {
            return Err(RelayError::Refused {
                stage: Stage::Rset,
                reply,
            });
        }
        self.in_transaction = false;
        self.accepted_rcpts = 0;
        Ok(())
    }

    /// Sends QUIT and waits briefly for the answer; failures do not matter any more.
    pub async fn quit(mut self) {
        let after = self.target.timeouts.command.min(QUIT_WAIT);
        let _ = self.conn.command(Stage::Quit, "QUIT\r\n", after).await;
        let _ = timeout(after, self.conn.stream.shutdown()).await;
    }
}

mod pipeline;
pub use pipeline::Deferred;

/// EHLO (LHLO for LMTP); an SMTP backend that refuses EHLO with 5xx gets HELO (RFC 5321 4.1.1.1).
async fn hello(conn: &mut Conn, target: &SmtpTarget) -> Result<Capabilities, RelayError> {
    let after = target.timeouts.command;
    let verb = match target.protocol {
        Protocol::Smtp => "EHLO",
        Protocol::Lmtp => "LHLO",
    };
    let line = format!("{verb} {}\r\n", target.helo);
    let reply = conn.command(Stage::Hello, &line, after).await?;
    if is_2xx(&reply) {
        return Ok(Capabilities::from_ehlo(&reply));
    }
    if target.protocol == Protocol::Smtp && reply.is_permanent() {
        let line = format!("HELO {}\r\n", target.helo);
        let reply = conn.command(Stage::Hello, &line, after).await?;
        if is_2xx(&reply) {
            return Ok(Capabilities::default());
        }
        return Err(RelayError::Hello { reply });
    }
    Err(RelayError::Hello { reply })
}
