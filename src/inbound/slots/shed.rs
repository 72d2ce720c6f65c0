//! Which session to shed when the connection table is nearly full, and how it learns.
//!
//! Each session reports, through its `Watch`, whether it is waiting for its client and in
//! which state. The victim is chosen in this order:
//! 1. a session waiting with no mail transaction open (after the greeting, between messages,
//!    or half-way through a command line it is dribbling), the one that has gone longest
//!    without a transaction first: a flood's idlers and dribblers, oldest first, while a
//!    client that just connected to send mail is the last candidate;
//! 2. only when there is none, a session inside a transaction (MAIL given, not in DATA) that
//!    has kept Moat waiting for its next command for `STALLED_TRANSACTION` or more;
//! 3. only when there is none of those either, a session that has been receiving message
//!    data for `SLOW_DATA_AFTER` or more at less than `SLOW_DATA_RATE` on average, the
//!    slowest first: a client dribbling its message.
//!
//! A session receiving message data at a healthy rate, or one Moat is working for (relaying,
//! checking, TLS), is never shed. Shedding loses nothing: nothing was accepted from the victim
//! that it has not been answered for, and its `421` tells it to come back later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a session inside a mail transaction may keep Moat waiting before it may be shed
/// (and only when no session without a transaction is left): a mail server sends its next
/// command at once, so this is far above any real client's pause.
pub const STALLED_TRANSACTION: Duration = Duration::from_secs(10);
/// Below this average rate (bytes per second since DATA) a message transfer is a dribble:
/// 1 KiB/s is 8 kbit/s, slower than any link a mail server sends from.
pub const SLOW_DATA_RATE: u64 = 1024;
/// A message transfer is judged by its rate only once it has lasted this long (a pause
/// while the client reads its message from disk is not a dribble).
pub const SLOW_DATA_AFTER: Duration = Duration::from_secs(10);

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

impl Waiting {
    /// What `session` waits for when it needs input.
    pub fn of(session: &crate::smtp::session::Session) -> Waiting {
        if session.in_data() {
            Waiting::Data
        } else if session.transaction().is_some() {
            Waiting::Transaction
        } else {
            Waiting::Idle
        }
    }
}

/// Completes once the session of `watch` has been shed; never without a watch.
pub async fn signal(watch: Option<&Watch>) {
    match watch {
        Some(w) => w.shed().await,
        None => std::future::pending().await,
    }
}

/// Which kind of session was shed; a closed set for the log line and the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    Idle,
    StalledTransaction,
    SlowData,
}

impl Victim {
    pub fn as_str(self) -> &'static str {
        match self {
            Victim::Idle => "idle",
            Victim::StalledTransaction => "stalled_transaction",
            Victim::SlowData => "slow_data",
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
    /// had a transaction open (or its start); when `TRANSACTION`, when it began waiting;
    /// when `DATA`, when the message data began.
    since: AtomicU64,
    /// Bytes of message data received since `since` (in `DATA`).
    data_bytes: AtomicU64,
    /// Wakes the session once it is shed.
    shed: Notify,
}

/// A possible victim: ranked by (since, id) — of two equally old, the first connected —
/// or, for message data, by (rate, id).
struct Candidate<'a> {
    entry: &'a Arc<Entry>,
    rank: (u64, u64),
    since: u64,
}

/// A session's handle on its entry; removes it when dropped.
pub struct Watch {
    registry: Arc<Registry>,
    id: u64,
    entry: Arc<Entry>,
    /// The last moment this session had a mail transaction open, or its start.
    useful: u64,
    /// When the message data under way began (`None` outside DATA).
    data_started: Option<u64>,
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
            data_bytes: AtomicU64::new(0),
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
            data_started: None,
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
                let victim = match state {
                    IDLE => Victim::Idle,
                    TRANSACTION => Victim::StalledTransaction,
                    _ => Victim::SlowData,
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
    /// longest (at least `STALLED_TRANSACTION`), else the slowest dribbled message data.
    fn choose(&self, now: u64) -> Option<(Arc<Entry>, u8, u64)> {
        let entries = self.entries.lock().expect("shed registry lock");
        // The best candidate of each kind, in the order they are taken.
        let mut best: [Option<Candidate>; 3] = [None, None, None];
        for (&id, entry) in entries.iter() {
            let since = entry.since.load(Ordering::Acquire);
            let waited = now.saturating_sub(since);
            let (kind, rank) = match entry.state.load(Ordering::Acquire) {
                IDLE => (0, since),
                TRANSACTION if waited >= millis(STALLED_TRANSACTION) => (1, since),
                DATA if waited >= millis(SLOW_DATA_AFTER) => {
                    let rate = entry.data_bytes.load(Ordering::Acquire) * 1000 / waited.max(1);
                    if rate >= SLOW_DATA_RATE {
                        continue;
                    }
                    (2, rate)
                }
                _ => continue,
            };
            if best[kind].as_ref().is_none_or(|c| (rank, id) < c.rank) {
                best[kind] = Some(Candidate {
                    entry,
                    rank: (rank, id),
                    since,
                });
            }
        }
        let states = [IDLE, TRANSACTION, DATA];
        best.into_iter()
            .zip(states)
            .find_map(|(c, state)| c.map(|c| (c.entry.clone(), state, c.since)))
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
        if waiting != Waiting::Data {
            self.data_started = None;
        }
        let (state, since) = match waiting {
            Waiting::Idle => (IDLE, self.useful),
            Waiting::Transaction => {
                self.useful = now;
                (TRANSACTION, now)
            }
            Waiting::Data => {
                self.useful = now;
                let started = *self.data_started.get_or_insert_with(|| {
                    self.entry.data_bytes.store(0, Ordering::Release);
                    now
                });
                (DATA, started)
            }
        };
        // `since` first: a shedder that sees the new state must see its time too.
        self.entry.since.store(since, Ordering::Release);
        self.entry
            .state
            .compare_exchange(WORKING, state, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The client sent `received` bytes and Moat works on them: not to be shed meanwhile.
    /// False when the session was shed before it could say so.
    pub fn working(&self, received: usize) -> bool {
        if self.data_started.is_some() {
            let n = u64::try_from(received).unwrap_or(u64::MAX);
            self.entry.data_bytes.fetch_add(n, Ordering::AcqRel);
        }
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

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
mod tests;
