//! Which session to shed when the connection table is nearly full, and how it learns.
//!
//! Each session reports, through its `Watch`, whether it is waiting for its client and in
//! which state. The victim is chosen in this order:
//! 1. a session waiting with no mail transaction open (after the greeting, between messages,
//!    or half-way through a command line it is dribbling), the one that has gone longest
//!    without a transaction first: a flood's idlers and dribblers, oldest first, while a
//!    client that just connected to send mail is the last candidate;
//! 2. only when there is none, a session inside a transaction (MAIL given, not in DATA) that
//!    has kept Moat waiting for its next command for `STALLED_TRANSACTION` or more.
//!
//! A session receiving message data, or one Moat is working for (relaying, checking, TLS),
//! is never shed. Shedding loses nothing: nothing was accepted from the victim that it has
//! not been answered for, and its `421` tells it to come back later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a session inside a mail transaction may keep Moat waiting before it may be shed
/// (and only when no session without a transaction is left): a mail server sends its next
/// command at once, so this is far above any real client's pause.
pub const STALLED_TRANSACTION: Duration = Duration::from_secs(10);

/// What a session is doing, as the shedder sees it.
const WORKING: u8 = 0;
const IDLE: u8 = 1;
const TRANSACTION: u8 = 2;
const DATA: u8 = 3;
const SHED: u8 = 4;

/// What a session waits for its client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// No mail transaction open (the greeting, between messages, a command line under way).
    Idle,
    /// MAIL given (and maybe RCPTs): the next command of the transaction.
    Transaction,
    /// Message data.
    Data,
}

/// Which kind of session was shed; a closed set for the log line and the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    Idle,
    StalledTransaction,
}

impl Victim {
    pub fn as_str(self) -> &'static str {
        match self {
            Victim::Idle => "idle",
            Victim::StalledTransaction => "stalled_transaction",
        }
    }
}

/// Every open session's state, for choosing a victim.
pub struct Registry {
    epoch: Instant,
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Arc<Entry>>>,
}

/// One session's state. Atomics, so a session reports without taking the registry lock.
struct Entry {
    /// `WORKING`, `IDLE`, `TRANSACTION`, `DATA` or `SHED` (final).
    state: AtomicU8,
    /// Milliseconds since the registry's epoch: when `IDLE`, the last moment the session
    /// had a transaction open (or its start); when `TRANSACTION`, when it began waiting.
    since: AtomicU64,
    /// Wakes the session once it is shed.
    shed: Notify,
}

/// A session's handle on its entry; removes it when dropped.
pub struct Watch {
    registry: Arc<Registry>,
    id: u64,
    entry: Arc<Entry>,
    /// The last moment this session had a mail transaction open, or its start.
    useful: u64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            entries: Mutex::default(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A new session, working (on its greeting) until it first waits for its client.
    pub fn enter(self: &Arc<Self>) -> Watch {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let now = self.now();
        let entry = Arc::new(Entry {
            state: AtomicU8::new(WORKING),
            since: AtomicU64::new(now),
            shed: Notify::new(),
        });
        self.entries
            .lock()
            .expect("shed registry lock")
            .insert(id, entry.clone());
        Watch {
            registry: self.clone(),
            id,
            entry,
            useful: now,
        }
    }

    /// Sheds the best victim (see the module comment), if there is one: it is told at once
    /// and answers `421` as it closes. One log line and one metric per session shed.
    pub fn shed_one(&self) -> Option<Victim> {
        // A candidate may start working between the choice and the mark: choose again.
        for _ in 0..4 {
            let now = self.now();
            let (entry, state, since) = self.choose(now)?;
            if entry
                .state
                .compare_exchange(state, SHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                entry.shed.notify_one();
                let victim = if state == IDLE {
                    Victim::Idle
                } else {
                    Victim::StalledTransaction
                };
                tracing::info!(
                    victim = victim.as_str(),
                    idle_ms = now.saturating_sub(since),
                    "connection table nearly full: shedding the session idle longest"
                );
                crate::metrics::connection_shed(victim.as_str());
                return Some(victim);
            }
        }
        None
    }

    /// The idle session without a transaction for longest, else the transaction stalled
    /// longest (at least `STALLED_TRANSACTION`).
    fn choose(&self, now: u64) -> Option<(Arc<Entry>, u8, u64)> {
        let stalled = u64::try_from(STALLED_TRANSACTION.as_millis()).unwrap_or(u64::MAX);
        let entries = self.entries.lock().expect("shed registry lock");
        // Ranked by (since, id): of two equally old, the session that connected first.
        let mut idle: Option<(&Arc<Entry>, (u64, u64))> = None;
        let mut transaction: Option<(&Arc<Entry>, (u64, u64))> = None;
        for (&id, entry) in entries.iter() {
            let since = entry.since.load(Ordering::Acquire);
            let best = match entry.state.load(Ordering::Acquire) {
                IDLE => &mut idle,
                TRANSACTION if now.saturating_sub(since) >= stalled => &mut transaction,
                _ => continue,
            };
            if best.is_none_or(|(_, rank)| (since, id) < rank) {
                *best = Some((entry, (since, id)));
            }
        }
        match (idle, transaction) {
            (Some((e, (since, _))), _) => Some((e.clone(), IDLE, since)),
            (None, Some((e, (since, _)))) => Some((e.clone(), TRANSACTION, since)),
            (None, None) => None,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

impl Watch {
    /// The session is about to wait for its client in `waiting`; false when it has been shed
    /// (it then answers `421` and closes).
    pub fn waiting(&mut self, waiting: Waiting) -> bool {
        let now = self.registry.now();
        let (state, since) = match waiting {
            Waiting::Idle => (IDLE, self.useful),
            Waiting::Transaction => {
                self.useful = now;
                (TRANSACTION, now)
            }
            Waiting::Data => {
                self.useful = now;
                (DATA, now)
            }
        };
        // `since` first: a shedder that sees the new state must see its time too.
        self.entry.since.store(since, Ordering::Release);
        self.entry
            .state
            .compare_exchange(WORKING, state, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The client sent something and Moat works on it: not to be shed meanwhile. False when
    /// the session was shed before it could say so.
    pub fn working(&self) -> bool {
        let state = self.entry.state.load(Ordering::Acquire);
        state != SHED
            && self
                .entry
                .state
                .compare_exchange(state, WORKING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Completes once the session has been shed.
    pub async fn shed(&self) {
        self.entry.shed.notified().await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.registry
            .entries
            .lock()
            .expect("shed registry lock")
            .remove(&self.id);
    }
}

#[cfg(test)]
#[path = "shed_tests.rs"]
mod tests;
