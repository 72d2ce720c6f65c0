//! What the admin listener refused or closed, as one log line and one metric per event
//! (registered in Moat's one registry, `crate::metrics`). The reason is a closed set.
//! Someone holding sockets open can cause thousands of these a second, so the log line is
//! written at most once per `LOG_EVERY_SECS` with the number of events not logged since.

use prometheus::{IntCounterVec, Opts, Registry};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why the admin listener closed a connection or refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No complete request head within the header timeout (answered 408).
    HeaderTimeout,
    /// A connection without a complete request closed to make room for a newcomer.
    Evicted,
    /// A new connection refused: every slot it could use is serving a request (answered 503).
    Full,
    /// `POST /reload` that a web page could have sent (answered 403, nothing reloaded).
    ReloadForbidden,
}

impl Refusal {
    pub const ALL: [Refusal; 4] = [
        Refusal::HeaderTimeout,
        Refusal::Evicted,
        Refusal::Full,
        Refusal::ReloadForbidden,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Refusal::HeaderTimeout => "header_timeout",
            Refusal::Evicted => "evicted",
            Refusal::Full => "full",
            Refusal::ReloadForbidden => "reload_forbidden",
        }
    }
}

static REFUSALS: OnceLock<IntCounterVec> = OnceLock::new();

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let c = IntCounterVec::new(
        Opts::new(
            "moat_admin_refusals_total",
            "Admin connections closed or requests refused by the admin listener, by reason.",
        ),
        &["reason"],
    )
    .expect("valid counter");
    r.register(Box::new(c.clone())).expect("unique metric");
    for r in Refusal::ALL {
        c.with_label_values(&[r.label()]);
    }
    let _ = REFUSALS.set(c);
}

/// Seconds between two log lines about admin refusals.
const LOG_EVERY_SECS: u64 = 10;

/// Counts the refusal always; logs it unless a line for the same reason was written less
/// than `LOG_EVERY_SECS` ago (the next line says how many were not logged in between), so a
/// flood of idle sockets cannot hide a refused reload.
pub fn refused(reason: Refusal, peer: std::net::IpAddr) {
    static LAST_LOG: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
    static SUPPRESSED: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
    crate::metrics::get();
    if let Some(c) = REFUSALS.get() {
        c.with_label_values(&[reason.label()]).inc();
    }
    let i = reason as usize;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let last = LAST_LOG[i].load(Ordering::Relaxed);
    let due = last == 0 || now >= last + LOG_EVERY_SECS;
    if due
        && LAST_LOG[i]
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let not_logged = SUPPRESSED[i].swap(0, Ordering::Relaxed);
        tracing::warn!(
            target: "moat::admin",
            reason = reason.label(),
            %peer,
            refusals_not_logged = not_logged,
            "admin connection or request refused"
        );
    } else {
        SUPPRESSED[i].fetch_add(1, Ordering::Relaxed);
    }
}
