//! The scan API and milter listeners of `moat serve`: bound at start (a taken port fails the
//! start), and drained at shutdown like SMTP sessions.
//!
//! At SIGTERM the doors stop accepting at once; requests and MTA connections in flight get
//! what is left of `shutdown_grace` to end. A milter connection still open then is cut: the
//! MTA applies its `milter_default_action` (tempfail in Moat's Postfix example), so the sender
//! retries and no message is lost; a scan API client sees its connection closed.

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// The running doors.
#[derive(Default)]
pub struct Doors {
    pub scan_api: Option<SocketAddr>,
    /// None for a Unix-socket milter (its path is in the configuration).
    pub milter: Option<SocketAddr>,
    accepts: Vec<JoinHandle<()>>,
    /// Each door's name, seats and seat count: all seats back means nothing in flight.
    seats: Vec<(&'static str, Arc<Semaphore>, u32)>,
}

/// Binds and starts the doors the configuration asks for; each request gets the runtime
/// current at its start, like SMTP sessions.
pub fn spawn(current: crate::doors::scan_api::Current) -> anyhow::Result<Doors> {
    let config = current().config.clone();
    let mut doors = Doors::default();
    if let Some(addr) = config.scan_api.listen {
        let api = crate::doors::scan_api::ScanApi::bind(addr, current.clone())
            .with_context(|| format!("cannot listen on scan_api.listen {addr}"))?;
        doors.scan_api = api.local_addr();
        let count = seat_count(config.scan_api.max_connections);
        doors.seats.push(("scan_api", api.seats(), count));
        doors.accepts.push(tokio::spawn(api.run()));
    }
    if let Some(listen) = &config.milter.listen {
        let milter = crate::doors::milter::Milter::bind(listen, current.clone())
            .with_context(|| format!("cannot listen on milter.listen {listen:?}"))?;
        doors.milter = milter.local_addr();
        let count = seat_count(config.milter.max_connections);
        doors.seats.push(("milter", milter.seats(), count));
        doors.accepts.push(tokio::spawn(milter.run()));
    }
    Ok(doors)
}

/// The semaphores were made with `max_connections` permits (validated positive).
fn seat_count(max_connections: usize) -> u32 {
    u32::try_from(max_connections).unwrap_or(u32::MAX)
}

impl Doors {
    /// Stops accepting; what is in flight goes on.
    pub fn stop_accepting(&self) {
        for task in &self.accepts {
            task.abort();
        }
    }

    /// Waits until every door's requests and connections have ended, at most `within`;
    /// says what was still open then.
    pub async fn drained(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        for (door, seats, count) in &self.seats {
            let all = tokio::time::timeout_at(deadline, seats.acquire_many(*count)).await;
            if all.is_err() {
                let open = count.saturating_sub(seats.available_permits() as u32);
                tracing::warn!(
                    door = *door,
                    open,
                    "shutdown_grace over: the door's open connections are closed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
