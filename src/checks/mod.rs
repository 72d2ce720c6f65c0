//! Where checks plug in. A check looks at a connection or a message and reports findings —
//! facts with a reason — and never decides; `crate::verdict` turns findings into one action
//! (or, before the end of DATA, a refusal) with the policy table. The end-of-DATA checks
//! implement `Check` and run together (`Checks::run`); the checks of the stages before it
//! (the lists, relaying, rate limits and greylisting here; the DNSBL screen and pre-greet
//! test in `crate::reputation`) are run by the connection at their stage (`crate::inbound::conn`).
//! The checks of a message run concurrently (`join`); a check that panics costs its findings,
//! not the message.

pub mod greylist;
pub mod join;
pub mod lists;
pub mod ratelimit;
mod refusal;
pub mod relay;
mod session;

pub use refusal::Refusal;
pub use session::SessionChecks;

use crate::message::headers::TlsInfo;
use crate::rules::facts::{Envelope, Facts};
use crate::smtp::address::{Mailbox, ReversePath};
use crate::verdict::Action;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

/// One fact a check established about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable upper-case id, e.g. `SPF_FAIL`; used in `X-Spam-Status` and metrics.
    pub id: String,
    pub score: f64,
    /// For logs and `moat scan --explain`; never sent to the client.
    pub reason: String,
    /// A hard result that forces an action regardless of the score (e.g. GTUBE → reject).
    pub force: Option<Action>,
}

impl Finding {
    /// A fact as a check reports it: an id and why. Its score and any forced action come from
    /// the policy table (`crate::config::stages`) when the verdict decides.
    pub fn fact(id: impl Into<String>, reason: impl Into<String>) -> Finding {
        Finding {
            id: id.into(),
            score: 0.0,
            reason: reason.into(),
            force: None,
        }
    }
}

/// Everything a check may look at. Shared read-only between the checks of one message.
#[derive(Debug)]
pub struct MessageContext {
    pub reference: String,
    pub client_ip: IpAddr,
    pub helo: String,
    pub tls: Option<TlsInfo>,
    pub from: ReversePath,
    pub recipients: Vec<Mailbox>,
    /// The message as received (CRLF lines, unstuffed), without Moat's headers.
    pub body: Arc<Vec<u8>>,
    /// The decoded message (MIME parts, text, links), extracted once by whichever check needs
    /// it first; see `facts_loader`. Construct with `Default::default()`.
    pub facts: Arc<OnceLock<Arc<Facts>>>,
}

impl MessageContext {
    /// A closure that returns the decoded message, parsing it only if no check did yet. It
    /// owns what it needs, so a check can run it in `spawn_blocking` (parsing is CPU work);
    /// checks running at the same time wait for the one parse instead of repeating it.
    pub fn facts_loader(&self) -> impl FnOnce() -> Arc<Facts> + Send + 'static {
        let cell = self.facts.clone();
        let body = self.body.clone();
        let env = self.envelope();
        move || {
            cell.get_or_init(|| {
                Arc::new(Facts::extract(&body, &env, crate::rules::check::now_unix()))
            })
            .clone()
        }
    }
}

impl MessageContext {
    /// The envelope as the rules see it.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            client_ip: self.client_ip,
            helo: self.helo.clone(),
            mail_from: self.from.address(),
            rcpt_to: self.recipients.iter().map(|r| r.address()).collect(),
        }
    }
}

/// Messages up to this size (most mail) are judged on the session's own thread: tens to a
/// few hundred microseconds of work, less than handing it to the blocking pool and back
/// costs, and a stall other sessions on the thread can afford (docs/performance-cpu.md).
pub const INLINE_MAX_BYTES: usize = 16 * 1024;

/// Runs a check's CPU work on a message of `size` bytes (decoding, matching, expanding
/// archives) off the threads that serve sessions — unless the message is small, or the
/// runtime is single-threaded (`moat scan`: no session to keep serving, and another thread
/// would only need its caches warmed). A panic propagates either way (→ `CHECK_FAILED`).
pub async fn cpu_work<T, F>(size: usize, work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let single_threaded = tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::CurrentThread;
    if size <= INLINE_MAX_BYTES || single_threaded {
        return work();
    }
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Vec<Finding>> + Send + 'a>>;

/// A check's future is polled in the session's own task, beside the other checks (`join`):
/// waiting is free, but blocking or long CPU work stalls the thread's other sessions, so such
/// work belongs in `spawn_blocking` (as `rules::check` does for large messages).
pub trait Check: Send + Sync + 'static {
    /// Short name for logs and metric labels (`spf`, `dkim`, `rules` …).
    fn name(&self) -> &'static str;
    fn check<'a>(&'a self, message: &'a MessageContext) -> CheckFuture<'a>;
}

/// The configured checks, run on every message.
#[derive(Clone, Default)]
pub struct Checks {
    list: Vec<Arc<dyn Check>>,
}

impl Checks {
    pub fn new(list: Vec<Arc<dyn Check>>) -> Checks {
        Checks { list }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Runs every check concurrently and gathers their findings. A check that panics is
    /// logged and reported as a zero-score `CHECK_FAILED` finding.
    pub async fn run(&self, message: Arc<MessageContext>) -> Vec<Finding> {
        let by_check = self.run_by_check(message).await;
        by_check.into_iter().map(|(_, f)| f).collect()
    }

    /// As `run`, each finding with the name of the check that reported it: the policy table
    /// may give one id different entries for different checks (`PolicyTable::get_for`).
    pub async fn run_by_check(&self, message: Arc<MessageContext>) -> Vec<(&'static str, Finding)> {
        let futures = self
            .list
            .iter()
            .map(|check| -> join::Boxed<'_, Vec<Finding>> {
                let message = &message;
                Box::pin(async move {
                    let started = std::time::Instant::now();
                    let findings = check.check(message).await;
                    let seconds = started.elapsed().as_secs_f64();
                    crate::metrics::check_ran(check.name(), seconds, &findings);
                    findings
                })
            })
            .collect();
        let results = join::join_catching(futures).await;
        let mut findings = Vec::new();
        for (check, result) in self.list.iter().zip(results) {
            let name = check.name();
            match result {
                Ok(f) => findings.extend(f.into_iter().map(|f| (name, f))),
                Err(e) => {
                    crate::metrics::check_failed(name);
                    tracing::error!(check = name, reference = %message.reference, error = %e, "check failed");
                    findings.push((
                        name,
                        Finding {
                            id: "CHECK_FAILED".into(),
                            score: 0.0,
                            reason: format!("check {name} failed: {e}"),
                            force: None,
                        },
                    ));
                }
            }
        }
        findings
    }
}

pub mod judge;
#[cfg(test)]
mod tests;
