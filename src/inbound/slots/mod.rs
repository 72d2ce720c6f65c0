//! The connection table. Every session holds a `Seat` for as long as it runs: a permit of the
//! global limit (`limits.max_connections`), a slot of its client address
//! (`limits.max_connections_per_ip`) and one of its client network
//! (`limits.max_connections_per_network`, /24 and /64 by default).
//!
//! Limits per address and per network stop one host or one subnet from taking the table,
//! but not a flood spread over many networks. So when the table is nearly full
//! (`limits.shed_at_percent`), each new connection sheds the session that has gone longest
//! without a mail transaction (`shed`), as Postfix's postscreen does: a flood of idle or
//! dribbling clients then churns through the table while the mail that arrives after it
//! still gets a seat. Sessions receiving a message are never shed.

pub mod shed;

use crate::config::Limits;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a new connection waits, once it has shed a session from a full table, for that
/// session to close and give back its permit. The victim only writes a short `421` and
/// closes, so this is reached only when something else holds the machine up.
const SHED_WAIT: Duration = Duration::from_secs(2);

/// Why a connection gets no seat; a closed set for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `limits.max_connections`, and no session could be shed.
    Total,
    PerIp,
    PerNetwork,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Total => "total",
            Refusal::PerIp => "per_ip",
            Refusal::PerNetwork => "per_network",
        }
    }
}

/// Every open connection, counted globally, per client address and per client network.
pub struct Table {
    /// `limits.max_connections` at start (the semaphore cannot be resized by a reload).
    max: usize,
    permits: Arc<Semaphore>,
    per_ip: Arc<Counts>,
    per_network: Arc<Counts>,
    shed: Arc<shed::Registry>,
}

/// One session's place in the table; everything is given back when it is dropped.
pub struct Seat {
    _permit: OwnedSemaphorePermit,
    _ip: CountSlot,
    _network: CountSlot,
    /// The session's entry for shedding; the session takes it (`take_watch`).
    watch: Option<shed::Watch>,
}

impl Seat {
    /// What the session reports its state through and learns that it was shed from.
    pub fn take_watch(&mut self) -> Option<shed::Watch> {
        self.watch.take()
    }
}

impl Table {
    pub fn new(max_connections: usize) -> Arc<Table> {
        Arc::new(Table {
            max: max_connections,
            permits: Arc::new(Semaphore::new(max_connections)),
            per_ip: Arc::default(),
            per_network: Arc::default(),
            shed: Arc::new(shed::Registry::new()),
        })
    }

    /// Connections holding a seat now.
    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    /// A seat for a client at `ip`, under `limits` as configured now (the per-address and
    /// per-network limits and the shedding threshold follow reloads; the total does not).
    pub async fn admit(&self, ip: IpAddr, limits: &Limits) -> Result<Seat, Refusal> {
        // A dual-stack listener's IPv4 client counts as the IPv4 address it is.
        let ip = ip.to_canonical();
        let ip_slot = self
            .per_ip
            .claim(ip, limits.max_connections_per_ip)
            .ok_or(Refusal::PerIp)?;
        let network = crate::checks::ratelimit::network_address(ip, limits.network);
        let network_slot = self
            .per_network
            .claim(network, limits.max_connections_per_network)
            .ok_or(Refusal::PerNetwork)?;
        let permit = self
            .permit(shed_from(self.max, limits.shed_at_percent))
            .await?;
        Ok(Seat {
            _permit: permit,
            _ip: ip_slot,
            _network: network_slot,
            watch: Some(self.shed.enter()),
        })
    }

    /// A permit of the global limit. From `shed_from` open connections on, the session idle
    /// longest is shed for each new one, so the table keeps room; when it is full anyway,
    /// the new connection waits (briefly) for the permit its victim gives back.
    async fn permit(&self, shed_from: Option<usize>) -> Result<OwnedSemaphorePermit, Refusal> {
        let Some(shed_from) = shed_from else {
            return self
                .permits
                .clone()
                .try_acquire_owned()
                .map_err(|_| Refusal::Total);
        };
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            // `open` counts this connection: the others are one fewer.
            if self.open() > shed_from {
                self.shed.shed_one();
            }
            return Ok(permit);
        }
        if self.shed.shed_one().is_none() {
            return Err(Refusal::Total);
        }
        match tokio::time::timeout(SHED_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Refusal::Total),
        }
    }

    /// Waits until every seat is given back (every session ended), at most `grace`.
    pub async fn all_closed(&self, grace: Duration) -> bool {
        let all = u32::try_from(self.max).unwrap_or(u32::MAX);
        tokio::time::timeout(grace, self.permits.acquire_many(all))
            .await
            .is_ok()
    }
}

/// Open connections from which new ones shed idle sessions; `None`: never shed.
fn shed_from(max: usize, percent: u8) -> Option<usize> {
    (percent > 0).then(|| (max * usize::from(percent) / 100).max(1))
}

/// Open connections per key (a client address, or the first address of its network).
#[derive(Default)]
struct Counts {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's slot for its key; released on drop.
struct CountSlot {
    owner: Arc<Counts>,
    key: IpAddr,
}

impl Counts {
    fn claim(self: &Arc<Self>, key: IpAddr, max: usize) -> Option<CountSlot> {
        let mut counts = self.counts.lock().expect("connection count lock");
        let n = counts.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(CountSlot {
            owner: self.clone(),
            key,
        })
    }
}

impl Drop for CountSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().expect("connection count lock");
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests;
