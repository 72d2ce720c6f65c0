//! Backend clients: the in-line ("before-queue") relay to the real mail server.
//!
//! The session driver opens one [`BackendSession`] per client session and mirrors the client's
//! transaction onto it: the backend's answers to MAIL, RCPT and the end of data are returned as
//! `Ok(Reply)` and passed to the client verbatim, so `250` reaches the client only when the
//! backend accepted the message. `Err(RelayError)` is a transport failure (refused, timed out,
//! closed, garbled); the driver answers it with a `451` and the client retries.
//!
//! Backends: SMTP and LMTP over TCP ([`smtp`]), or a local Maildir tree ([`maildir`]).
//!
//! # One recipient per LMTP transaction
//!
//! LMTP answers the end of data once per accepted recipient, but the client (speaking SMTP) can
//! get only one answer for the whole message. With several recipients a mixed outcome has no
//! correct single answer: `250` would lose the mail of the refused recipients, `4xx` would make
//! the client retry and duplicate it for the accepted ones. So for LMTP
//! [`Relay::max_recipients_per_transaction`] is `Some(1)`: the driver accepts one recipient per
//! transaction and answers `452 4.5.3` to further RCPTs, and the client sends them again in a
//! new transaction, as RFC 5321 (3.3, 4.5.3.1.10) MTAs do. [`BackendSession::data`] still reads
//! every per-recipient reply and, should it ever see several, combines them (see
//! `smtp::combine_lmtp`).
//!
//! Maildir delivery is all-or-nothing across recipients, and an SMTP backend answers once, so
//! neither needs the limit.

mod dotstuff;
pub mod maildir;
pub mod pool;
pub mod reply;
pub mod smtp;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{BackendConfig, BackendTarget};
use crate::smtp::{MailParams, Reply};

pub use reply::ReplyError;

/// What the relay was doing when it failed; a closed set, usable as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Connect,
    Greeting,
    Hello,
    Mail,
    Rcpt,
    Data,
    DataEnd,
    Rset,
    Quit,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Hello => "hello",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::DataEnd => "data_end",
            Stage::Rset => "rset",
            Stage::Quit => "quit",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport-level failure talking to the backend. Every variant is temporary from the
/// client's point of view (Moat could not get an answer, so the client must retry): the driver
/// answers `451 4.4.2` when [`RelayError::is_timeout`], else `451 4.4.1`. After any of these the
/// session is unusable.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("connecting to backend {address}: {source}")]
    Connect { address: String, source: io::Error },
    #[error("backend timed out after {after:?} ({stage})")]
    Timeout { stage: Stage, after: Duration },
    #[error("backend closed the connection ({stage})")]
    Closed { stage: Stage },
    #[error("backend I/O error ({stage}): {source}")]
    Io { stage: Stage, source: io::Error },
    #[error("backend sent a bad reply ({stage}): {source}")]
    BadReply { stage: Stage, source: ReplyError },
    #[error("backend sent data nobody asked for ({stage})")]
    Unexpected { stage: Stage },
    #[error("backend greeting was not 220: {reply}")]
    Greeting { reply: Reply },
    #[error("backend refused EHLO/LHLO/HELO: {reply}")]
    Hello { reply: Reply },
    #[error("backend refused {stage}: {reply}")]
    Refused { stage: Stage, reply: Reply },
    #[error("maildir delivery to {path}: {source}")]
    Maildir { path: PathBuf, source: io::Error },
    #[error("backend session is unusable after an earlier error ({stage})")]
    Unusable { stage: Stage },
}

impl RelayError {
    pub fn stage(&self) -> Stage {
        match self {
            RelayError::Connect { .. } => Stage::Connect,
            RelayError::Greeting { .. } => Stage::Greeting,
            RelayError::Hello { .. } => Stage::Hello,
            RelayError::Maildir { .. } => Stage::DataEnd,
            RelayError::Timeout { stage, .. }
            | RelayError::Closed { stage }
            | RelayError::Io { stage, .. }
            | RelayError::BadReply { stage, .. }
            | RelayError::Unexpected { stage }
            | RelayError::Refused { stage, .. }
            | RelayError::Unusable { stage } => *stage,
        }
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, RelayError::Timeout { .. })
    }

    /// A closed label for logs and metrics (never an address or host).
    pub fn kind(&self) -> &'static str {
        match self {
            RelayError::Connect { .. } => "connect",
            RelayError::Timeout { .. } => "timeout",
            RelayError::Closed { .. } => "closed",
            RelayError::Io { .. } => "io",
            RelayError::BadReply { .. } => "bad_reply",
            RelayError::Unexpected { .. } => "unexpected",
            RelayError::Greeting { .. } => "greeting",
            RelayError::Hello { .. } => "hello",
            RelayError::Refused { .. } => "refused",
            RelayError::Maildir { .. } => "maildir",
            RelayError::Unusable { .. } => "unusable",
        }
    }
}

/// The configured backend; built once per config and shared by all sessions (cheap to clone).
#[derive(Debug, Clone)]
pub struct Relay {
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    Maildir(Arc<maildir::MaildirTarget>),
    Smtp(Arc<smtp::SmtpTarget>, Arc<pool::Pool>),
}

impl Relay {
    /// `hostname` is Moat's own name; Maildir uses it in file names.
    pub fn new(cfg: &BackendConfig, hostname: &str) -> Relay {
        let smtp = |address: &String, protocol| {
            let target = smtp::SmtpTarget {
                address: address.clone(),
                protocol,
                helo: cfg.helo.clone(),
                timeouts: cfg.timeouts,
                pipelining: cfg.pipelining,
                chunking: cfg.chunking,
            };
            Target::Smtp(Arc::new(target), pool::Pool::new(cfg.pool))
        };
        let target = match &cfg.target {
            BackendTarget::Maildir { path } => Target::Maildir(Arc::new(
                maildir::MaildirTarget::new(path.clone(), hostname),
            )),
            BackendTarget::Smtp { address } => smtp(address, smtp::Protocol::Smtp),
            BackendTarget::Lmtp { address } => smtp(address, smtp::Protocol::Lmtp),
        };
        Relay { target }
    }

    /// Recipients one transaction may carry so that the final reply is exact for all of them:
    /// `Some(1)` for LMTP (see the module documentation), `None` otherwise.
    pub fn max_recipients_per_transaction(&self) -> Option<usize> {
        match &self.target {
            Target::Smtp(t, _) if t.protocol == smtp::Protocol::Lmtp => Some(1),
            _ => None,
        }
    }

    /// A backend session for a client session: an idle pooled SMTP/LMTP connection when
    /// there is one (see [`pool`]), else a new one (TCP connect, greeting and EHLO/LHLO);
    /// nothing to open for Maildir. Give it back with [`Relay::release`].
    pub async fn open(&self) -> Result<BackendSession, RelayError> {
        self.open_with(true).await
    }

    /// Always a new connection, never a pooled one: for probes of the backend's health.
    pub async fn open_fresh(&self) -> Result<BackendSession, RelayError> {
        self.open_with(false).await
    }

    async fn open_with(&self, pooled: bool) -> Result<BackendSession, RelayError> {
        let inner = match &self.target {
            Target::Maildir(t) => Inner::Maildir(maildir::MaildirSession::new(t.clone())),
            Target::Smtp(t, pool) => match pooled.then(|| pool.take()).flatten() {
                Some(s) => Inner::Smtp(s),
                None => Inner::Smtp(smtp::SmtpSession::open(t.clone()).await?),
            },
        };
        Ok(BackendSession {
            inner,
            failed: false,
        })
    }
}

/// One backend session per client session, reused across its transactions.
#[derive(Debug)]
pub struct BackendSession {
    inner: Inner,
    /// Set by any `RelayError`: the backend's state is then unknown, so nothing more is sent.
    failed: bool,
}

#[derive(Debug)]
enum Inner {
    Smtp(smtp::SmtpSession),
    Maildir(maildir::MaildirSession),
}

impl BackendSession {
    /// `from` is the address without `<>`, `""` for the null sender. Parameters the backend
    /// did not advertise are left out (`BODY=`, `SIZE=`), except `SMTPUTF8`: without backend
    /// support the answer is a local `553 5.6.7` and nothing is sent. An address with a control
    /// character gets a local `501` (it could inject commands).
    pub async fn mail(&mut self, from: &str, params: &MailParams) -> Result<Reply, RelayError> {
        self.check(Stage::Mail)?;
        let r = match &mut self.inner {
            Inner::Smtp(s) => pool::mail(s, from, params).await,
            Inner::Maildir(m) => Ok(m.mail()),
        };
        self.note(r)
    }

    pub async fn rcpt(&mut self, to: &str) -> Result<Reply, RelayError> {
        self.check(Stage::Rcpt)?;
        let r = match &mut self.inner {
            Inner::Smtp(s) => pool::rcpt(s, to).await,
            Inner::Maildir(m) => Ok(m.rcpt(to)),
        };
        self.note(r)
    }

    /// Sends the message: `headers` (Moat's header lines, each CRLF-terminated) then `body` (as
    /// received: CRLF line ends, already dot-unstuffed, maybe empty, maybe without a final
    /// CRLF). Returns the backend's final answer. Afterwards the session is ready for the next
    /// MAIL.
    pub async fn data(&mut self, headers: &[u8], body: &[u8]) -> Result<Reply, RelayError> {
        self.check(Stage::Data)?;
        let r = match &mut self.inner {
            Inner::Smtp(s) => s.data(headers, body).await,
            Inner::Maildir(m) => m.data(headers, body).await,
        };
        self.note(r)
    }

    /// MAIL was answered locally and waits to go to the backend with the next RCPT.
    pub fn mail_deferred(&self) -> bool {
        matches!(&self.inner, Inner::Smtp(s) if s.deferred_mail().is_some())
    }

    /// The name of the data step for metrics: `bdat` when the message goes with BDAT.
    pub fn data_step(&self) -> &'static str {
        match &self.inner {
            Inner::Smtp(s) if s.uses_bdat() => "bdat",
            _ => "data",
        }
    }

    pub async fn rset(&mut self) -> Result<(), RelayError> {
        self.check(Stage::Rset)?;
        let r = match &mut self.inner {
            Inner::Smtp(s) => s.rset().await,
            Inner::Maildir(m) => {
                m.rset();
                Ok(())
            }
        };
        self.note(r)
    }

    /// Ends the session politely (QUIT for SMTP/LMTP); errors are ignored.
    pub async fn quit(self) {
        if let Inner::Smtp(s) = self.inner
            && !self.failed
        {
            s.quit().await;
        }
    }

    /// False after any `RelayError` or once the backend announced it is closing (`421`): the
    /// driver then opens a new session for the next transaction.
    pub fn is_usable(&self) -> bool {
        !self.failed
            && match &self.inner {
                Inner::Smtp(s) => s.is_usable(),
                Inner::Maildir(_) => true,
            }
    }

    fn check(&self, stage: Stage) -> Result<(), RelayError> {
        if self.is_usable() {
            Ok(())
        } else {
            Err(RelayError::Unusable { stage })
        }
    }

    fn note<T>(&mut self, r: Result<T, RelayError>) -> Result<T, RelayError> {
        if let Err(e) = &r {
            self.failed = true;
            tracing::debug!(error = %e, stage = %e.stage(), "backend session failed");
        }
        r
    }
}

#[cfg(test)]
mod tests;
