//! Idle SMTP/LMTP backend connections, kept for reuse by later client sessions.
//!
//! Opening a backend session costs a TCP handshake, the greeting and EHLO/LHLO: three round
//! trips before the first MAIL. The pool keeps a bounded number of connections that ended in a
//! clean state and hands them to new sessions. The rules that keep reuse safe:
//!
//! - Only a clean connection goes back: no transaction open (after the final reply to the end
//!   of data, or after `RSET` → `250`), no error or timeout ever seen, no `421` from the
//!   backend, and fewer than `max_transactions` transactions (see `Relay::release`).
//! - A connection that idled longer than `max_idle_age` is closed, never reused.
//! - Before reuse a connection is probed without blocking: if the backend closed it or sent
//!   anything unasked (an idle-timeout `421`), it is discarded.
//! - If a reused connection still fails at the first command of a new transaction (it closed
//!   between the probe and MAIL), `BackendSession::mail` discards it and sends MAIL again on a
//!   fresh connection: nothing has been answered to the client for that command yet, and no
//!   backend transaction was open, so nothing can be lost or duplicated. When MAIL is held
//!   back for the first RCPT (PIPELINING), the same holds at that first write, and
//!   `BackendSession::rcpt` retries MAIL and RCPT together.
//!
//! Idle connections are taken last in, first out, so that under light load the surplus ages
//! out; a reaper task closes expired ones even when no session comes to take them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
// tokio's clock, not std's: a paused test clock ages idle connections (crate::clock).
use crate::clock;
use tokio::time::Instant;

use super::smtp::SmtpSession;
use super::{BackendSession, Inner, Relay, RelayError, Target};
use crate::config::pool::PoolConfig;
use crate::metrics;
use crate::smtp::{MailParams, Reply};

/// Upper bound on the `RSET` that cleans a connection before it is pooled: the client session
/// is over, so a slow backend should not hold it for the whole command timeout.
const RSET_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug)]
pub struct Pool {
    cfg: PoolConfig,
    idle: Mutex<Vec<Idle>>,
    reaper: AtomicBool,
}

#[derive(Debug)]
struct Idle {
    session: SmtpSession,
    since: Instant,
}

impl Pool {
    pub fn new(cfg: PoolConfig) -> Arc<Pool> {
        Arc::new(Pool {
            cfg,
            idle: Mutex::new(Vec::new()),
            reaper: AtomicBool::new(false),
        })
    }

    pub fn config(&self) -> &PoolConfig {
        &self.cfg
    }

    /// An idle connection that is young enough and still looks alive, if any.
    pub fn take(&self) -> Option<SmtpSession> {
        let mut expired = Vec::new();
        let found = {
            let mut idle = self.idle.lock().expect("pool lock");
            loop {
                let Some(entry) = idle.pop() else { break None };
                metrics::pool_idle(-1);
                if clock::now() - entry.since >= self.cfg.max_idle_age {
                    expired.push(entry.session);
                } else if entry.session.is_stale() {
                    metrics::pool_event("stale");
                } else {
                    break Some(entry.session);
                }
            }
        };
        close(expired);
        metrics::pool_event(if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Keeps `session` for reuse; gives it back when the pool is full. The caller has
    /// checked that it is clean (see `Relay::release`).
    pub fn put(self: &Arc<Self>, mut session: SmtpSession) -> Result<(), SmtpSession> {
        session.mark_pooled();
        {
            let mut idle = self.idle.lock().expect("pool lock");
            if idle.len() >= self.cfg.max_idle {
                return Err(session);
            }
            idle.push(Idle {
                session,
                since: clock::now(),
            });
        }
        metrics::pool_idle(1);
        metrics::pool_event("returned");
        self.start_reaper();
        Ok(())
    }

    /// Number of idle connections now.
    pub fn idle(&self) -> usize {
        self.idle.lock().expect("pool lock").len()
    }

    /// Removes the connections older than `max_idle_age` (oldest are at the front).
    fn expire(&self) -> Vec<SmtpSession> {
        let mut idle = self.idle.lock().expect("pool lock");
        let keep = idle
            .iter()
            .position(|e| clock::now() - e.since < self.cfg.max_idle_age)
            .unwrap_or(idle.len());
        let gone: Vec<SmtpSession> = idle.drain(..keep).map(|e| e.session).collect();
        metrics::pool_idle(-(gone.len() as i64));
        gone
    }

    /// Once per pool: a task that closes expired connections every `max_idle_age`, and ends
    /// when the pool is dropped (a reload builds a new one).
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper.swap(true, Ordering::Relaxed) {
            return;
        }
        let weak: Weak<Pool> = Arc::downgrade(self);
        let period = self.cfg.max_idle_age;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(pool) = weak.upgrade() else { return };
                close(pool.expire());
            }
        });
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let n = self.idle.get_mut().map(|v| v.len()).unwrap_or(0);
        metrics::pool_idle(-(n as i64));
    }
}

/// Says QUIT to expired connections in the background.
fn close(sessions: Vec<SmtpSession>) {
    if sessions.is_empty() {
        return;
    }
    for _ in &sessions {
        metrics::pool_event("expired");
    }
    tokio::spawn(async move {
        for s in sessions {
            s.quit().await;
        }
    });
}

/// MAIL on a connection that may have idled (pooled, or between two transactions of one
/// client session): a connection found dead before or at this first command of a transaction
/// is replaced by a fresh one and MAIL sent again. Safe because the client has been answered
/// nothing for this MAIL and a closed connection holds no backend transaction. A timeout is
/// not retried: the backend is alive but slow, and a second wait would only double the delay.
pub(super) async fn mail(
    s: &mut SmtpSession,
    from: &str,
    params: &MailParams,
) -> Result<Reply, RelayError> {
    if !s.has_idled() {
        return s.mail(from, params).await;
    }
    if s.is_stale() {
        metrics::pool_event("stale");
        *s = s.reopen().await?;
        return s.mail(from, params).await;
    }
    let first = s.mail(from, params).await;
    if !found_dead(&first, "MAIL") {
        return first;
    }
    *s = s.reopen().await?;
    s.mail(from, params).await
}

/// Whether the first command on a connection that had idled found it dead — closed, reset,
/// or `421` — and is worth one retry on a fresh connection (counted). A timeout is not.
fn found_dead(first: &Result<Reply, RelayError>, command: &str) -> bool {
    let dead = match first {
        Ok(reply) => reply.code == 421,
        Err(e) => !e.is_timeout(),
    };
    if dead {
        if let Err(e) = first {
            tracing::debug!(error = %e, command, "idle backend connection failed; retrying on a new one");
        }
        metrics::pool_event("retried");
    }
    dead
}

/// RCPT, which carries the held-back MAIL when there is one: a connection that had idled and
/// is found dead at that first write is replaced and MAIL and RCPT sent again, as for a
/// lockstep MAIL. Safe for the same reasons: the client has been answered nothing for this
/// RCPT, and no data was sent, so a transaction the dead connection held cannot deliver.
pub(super) async fn rcpt(s: &mut SmtpSession, to: &str) -> Result<Reply, RelayError> {
    let Some(mail) = s.deferred_mail().filter(|m| m.idled).cloned() else {
        return s.rcpt(to).await;
    };
    let first = s.rcpt(to).await;
    if !found_dead(&first, "MAIL+RCPT") {
        return first;
    }
    *s = s.reopen().await?;
    let reply = s.mail(&mail.from, &mail.params).await?;
    if !reply.is_positive() {
        return Ok(reply);
    }
    s.rcpt(to).await
}

impl Relay {
    /// Ends a client session's use of its backend session: a clean SMTP/LMTP connection goes
    /// back to the pool (after `RSET` if a transaction was left open), any other is closed
    /// (`QUIT`), or just dropped after an error.
    pub async fn release(&self, backend: BackendSession) {
        let Target::Smtp(_, pool) = &self.target else {
            return;
        };
        let BackendSession {
            inner: Inner::Smtp(mut s),
            failed: false,
        } = backend
        else {
            return;
        };
        let cfg = pool.config();
        if !s.is_usable() || s.transactions() >= cfg.max_transactions || cfg.max_idle == 0 {
            metrics::pool_event("closed");
            s.quit().await;
            return;
        }
        if s.in_transaction() {
            let reset = tokio::time::timeout(RSET_WAIT, s.rset()).await;
            if !matches!(reset, Ok(Ok(()))) {
                // The backend's state is unknown: drop the connection without a word.
                metrics::pool_event("closed");
                return;
            }
        }
        if let Err(s) = pool.put(s) {
            metrics::pool_event("closed");
            s.quit().await;
        }
    }
}
