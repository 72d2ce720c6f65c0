//! Is the backend reachable? A real, cheap attempt — TCP connect, greeting and EHLO/LHLO for
//! SMTP/LMTP (then QUIT), a file created and removed for Maildir — cached for a few seconds
//! so that frequent /readyz and /metrics requests do not hammer the backend.

use crate::config::BackendTarget;
use crate::runtime::Runtime;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How long one probe result is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(2);
/// A probe taking longer than this counts as down: a backend that slow is not serving.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Up,
    /// Why the backend is not reachable, for the /readyz body and the log.
    Down(String),
}

#[derive(Default)]
pub struct Probe {
    last: Mutex<Option<(Instant, Health)>>,
    /// A background refresh is running (see `refresh`).
    refreshing: AtomicBool,
}

impl Probe {
    /// The backend's health, probed now unless a result younger than `CACHE_FOR` exists.
    /// Also sets `moat_backend_up`.
    pub async fn check(&self, rt: &Runtime) -> Health {
        if let Some((at, health)) = self.last.lock().expect("probe lock").clone()
            && crate::clock::now() - at < CACHE_FOR
        {
            return health;
        }
        let health = tokio::time::timeout(PROBE_TIMEOUT, probe(rt))
            .await
            .unwrap_or_else(|_| Health::Down("backend probe timed out".into()));
        let up = health == Health::Up;
        crate::metrics::get().backend_up.set(i64::from(up));
        if let Health::Down(why) = &health {
            tracing::warn!(reason = %why, "backend probe failed: not ready");
        }
        *self.last.lock().expect("probe lock") = Some((crate::clock::now(), health.clone()));
        health
    }

    /// Whether a probe has finished since the start.
    pub fn has_result(&self) -> bool {
        self.last.lock().expect("probe lock").is_some()
    }

    /// Refreshes the cached result in the background, at most one refresh at a time: a
    /// scrape of /metrics must not wait for (or pile up on) a hanging backend.
    pub fn refresh(self: &Arc<Self>, rt: Arc<Runtime>) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let probe = self.clone();
        tokio::spawn(async move {
            probe.check(&rt).await;
            probe.refreshing.store(false, Ordering::Release);
        });
    }
}

async fn probe(rt: &Runtime) -> Health {
    if let BackendTarget::Maildir { path } = &rt.config.backend.target {
        return maildir_writable(path);
    }
    match rt.relay.open_fresh().await {
        Ok(session) => {
            session.quit().await;
            Health::Up
        }
        Err(e) => Health::Down(format!("backend unreachable: {e}")),
    }
}

/// The Maildir root exists (or can be created) and accepts a new file.
fn maildir_writable(path: &std::path::Path) -> Health {
    let check = || -> std::io::Result<()> {
        std::fs::create_dir_all(path)?;
        let probe = path.join(format!(".moat-ready-{}", std::process::id()));
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)
    };
    match check() {
        Ok(()) => Health::Up,
        Err(e) => Health::Down(format!("maildir {} not writable: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests;
