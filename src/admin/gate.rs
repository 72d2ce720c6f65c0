//! Who gets an admin connection slot. The liveness probe must get an answer however many
//! sockets others hold open, so connections that have not yet sent a complete request
//! ("pending") never keep a newcomer out: when a peer is at its cap, or every slot is taken,
//! the oldest pending connection (of that peer, or of the peer holding the most) is closed to
//! make room. A connection whose request is complete is being served (in milliseconds, at most
//! the response timeout) and is never closed for a newcomer; only when every slot of the peer
//! (or in total) is being served is the newcomer refused. No I/O here: tested without sockets.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Bounds on admin connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once, all peers together.
    pub total: usize,
    /// Connections open at once from one IP address.
    pub per_peer: usize,
}

/// Why a connection was let in at the cost of another, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A slot was free.
    Free,
    /// The oldest pending connection of this peer was closed to make room.
    Evicted(IpAddr),
}

/// Every slot the newcomer could use is serving a complete request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

pub struct Gate {
    limits: Limits,
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    /// Arrival number of the next connection: smaller = older.
    next: u64,
    /// Open connections by arrival number.
    open: BTreeMap<u64, Slot>,
}

struct Slot {
    peer: IpAddr,
    /// No complete request yet: the connection may be closed to make room.
    pending: bool,
    /// Dropped (with the slot) to tell the connection's task to close.
    _close: oneshot::Sender<()>,
}

/// One admitted connection; dropping it frees the slot.
pub struct Ticket {
    gate: Arc<Gate>,
    id: u64,
    /// Resolves (with an error) when the gate closes this connection to make room.
    pub evicted: oneshot::Receiver<()>,
}

impl Gate {
    pub fn new(limits: Limits) -> Arc<Gate> {
        Arc::new(Gate {
            limits,
            slots: Mutex::default(),
        })
    }

    /// A slot for a new connection from `peer`, making room if need be.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<(Ticket, Admission), Full> {
        let peer = canonical(peer);
        let mut slots = self.slots.lock().expect("admin gate lock");
        let mut admission = Admission::Free;
        if slots.count(peer) >= self.limits.per_peer {
            slots.evict_oldest_pending_of(peer).ok_or(Full)?;
            admission = Admission::Evicted(peer);
        } else if slots.open.len() >= self.limits.total {
            let victim = slots.busiest_peer_with_pending().ok_or(Full)?;
            slots.evict_oldest_pending_of(victim).ok_or(Full)?;
            admission = Admission::Evicted(victim);
        }
        let (close, evicted) = oneshot::channel();
        let id = slots.next;
        slots.next += 1;
        slots.open.insert(
            id,
            Slot {
                peer,
                pending: true,
                _close: close,
            },
        );
        let ticket = Ticket {
            gate: self.clone(),
            id,
            evicted,
        };
        Ok((ticket, admission))
    }

    /// Connections open now (for tests and the log).
    pub fn open(&self) -> usize {
        self.slots.lock().expect("admin gate lock").open.len()
    }
}

impl Slots {
    fn count(&self, peer: IpAddr) -> usize {
        self.open.values().filter(|s| s.peer == peer).count()
    }

    /// Closes the oldest pending connection of `peer`; `None` if it has none.
    fn evict_oldest_pending_of(&mut self, peer: IpAddr) -> Option<()> {
        let id = self
            .open
            .iter()
            .find(|(_, s)| s.peer == peer && s.pending)
            .map(|(id, _)| *id)?;
        // Dropping the sender wakes the connection's task, which closes the socket.
        self.open.remove(&id);
        Some(())
    }

    /// The peer holding the most connections among those with a pending one.
    fn busiest_peer_with_pending(&self) -> Option<IpAddr> {
        let mut counts: BTreeMap<IpAddr, (usize, bool)> = BTreeMap::new();
        for s in self.open.values() {
            let e = counts.entry(s.peer).or_default();
            e.0 += 1;
            e.1 |= s.pending;
        }
        counts
            .into_iter()
            .filter(|(_, (_, pending))| *pending)
            .max_by_key(|(_, (n, _))| *n)
            .map(|(peer, _)| peer)
    }
}

impl Ticket {
    /// The request is complete: from now on the connection is served, not evicted. False if
    /// it was evicted in the meantime (the caller then closes it).
    pub fn serving(&mut self) -> bool {
        let mut slots = self.gate.slots.lock().expect("admin gate lock");
        match slots.open.get_mut(&self.id) {
            Some(slot) => {
                slot.pending = false;
                true
            }
            None => false,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.gate.slots.lock() {
            slots.open.remove(&self.id);
        }
    }
}

/// An IPv4 peer seen on a dual-stack socket counts as the same peer.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
