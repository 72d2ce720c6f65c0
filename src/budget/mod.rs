//! The global memory budget (`limits.max_memory`): one byte count shared by every session of
//! the process, so that the sum of the messages in flight — not only each one — is bounded.
//!
//! A message reserves what it will cost before it buffers: `MESSAGE_COPIES` bytes of memory per
//! byte of message (the received buffer plus every copy the checks and the delivery make of
//! it, see `MESSAGE_COPIES`). A session that cannot get room answers `452 4.3.1` (RFC 1870:
//! insufficient system storage) and the client retries later; nothing is half-taken, and the
//! process is never killed for running out of memory. The reservation is released when the
//! message has been relayed, quarantined or refused.
//!
//! Plain atomics, no waiting: a session either gets room now or tells its client to come back.
//! So the protocol core (`crate::smtp`) can use it without any I/O, and tests drive it with
//! bytes alone.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod metrics;

/// Bytes of memory one byte of message may occupy at the peak of its life in Moat, which is
/// what a message reserves. Measured (docs/SECURITY.md, "Memory budget"): the received buffer
/// (1), and while the rules read it, the text of its parts that mail-parser decodes and the
/// rule facts keep (up to 2 more for a plain text message: the decoded text and the joined
/// body the counters read); relaying streams from the received buffer, and header edits
/// copy only the header section. While the message arrives, the buffer's growth briefly
/// holds the old and the new allocation (2), which the same reservation covers.
pub const MESSAGE_COPIES: usize = 3;

/// Resident memory Moat needs besides the messages the budget counts: code, rules, the
/// buffers of open sessions and the allocator's slack. Peak RSS stays under
/// `limits.max_memory` plus this (tests/guarantees/memory.rs measures it).
pub const RSS_ALLOWANCE: usize = 128 << 20;

/// Room reserved per step while a message without a declared size arrives: 1 MiB of
/// message, so the shared counter is touched every megabyte, not every read.
pub const GROWTH_STEP: usize = 1 << 20;

/// The shared byte count. Cheap to share (`Arc`); the limit can change at reload.
pub struct MemoryBudget {
    limit: AtomicUsize,
    used: AtomicUsize,
}

impl fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemoryBudget({} of {})", self.used(), self.limit())
    }
}

impl MemoryBudget {
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        metrics::limit(limit);
        Arc::new(MemoryBudget {
            limit: AtomicUsize::new(limit),
            used: AtomicUsize::new(0),
        })
    }

    /// A new limit (reload). Reservations already held stay; a lower limit only makes new
    /// ones fail until enough of them are released.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
        metrics::limit(limit);
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Bytes reserved right now by all sessions.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// An empty reservation, to be grown.
    pub fn reservation(self: &Arc<Self>) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
        }
    }

    /// Takes `bytes` more if they fit under the limit; false (nothing taken) if not.
    fn take(&self, bytes: usize) -> bool {
        let limit = self.limit();
        let taken = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            })
            .is_ok();
        if taken {
            metrics::reserved(self.used());
        }
        taken
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
        metrics::reserved(self.used());
    }

    /// Whether `bytes` would fit now (nothing is taken): an early answer to `MAIL … SIZE=`.
    pub fn would_fit(&self, bytes: usize) -> bool {
        self.used().saturating_add(bytes) <= self.limit()
    }
}

/// Memory one message holds in the budget; given back when dropped.
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl fmt::Debug for Reservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reservation({} bytes)", self.bytes)
    }
}

impl Reservation {
    /// Grows the reservation to at least `bytes`; false (unchanged) when the budget is full.
    pub fn grow_to(&mut self, bytes: usize) -> bool {
        if bytes <= self.bytes {
            return true;
        }
        let more = bytes - self.bytes;
        if !self.budget.take(more) {
            return false;
        }
        self.bytes = bytes;
        true
    }

    /// Gives everything back now (the message was refused while arriving).
    pub fn release(&mut self) {
        self.budget.give_back(std::mem::take(&mut self.bytes));
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

/// What a message of `size` bytes reserves.
pub fn cost(size: usize) -> usize {
    size.saturating_mul(MESSAGE_COPIES)
}

#[cfg(test)]
mod tests;
