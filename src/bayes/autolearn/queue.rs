//! The queue between sessions and the flush: bounded, never waited on, with the per-sender
//! hourly cap. A session holds the lock for a few comparisons and one push; the message's
//! tokens are taken outside it.

use super::metrics;
use crate::bayes::model::Class;
use crate::config::bayes::autolearn::Autolearn;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One message to learn.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub class: Class,
    /// `crate::bayes::learn::message_hash` of the message as received.
    pub hash: u64,
    pub tokens: Vec<u64>,
}

/// Senders remembered per hour; a new sender beyond it waits for the next hour (a flood
/// of forged domains must not grow the map without end).
const MAX_SENDERS: usize = 100_000;
const HOUR: Duration = Duration::from_secs(3600);

/// Messages queued per sender in the current hour (a fixed window: cleared every hour).
#[derive(Debug)]
struct Senders {
    since: Instant,
    counts: HashMap<String, u32>,
}

impl Senders {
    /// Counts one message of `sender` if its share allows.
    fn admit(&mut self, sender: &str, cap: u32, now: Instant) -> bool {
        if now.duration_since(self.since) >= HOUR {
            self.since = now;
            self.counts.clear();
        }
        if let Some(n) = self.counts.get_mut(sender) {
            if *n >= cap {
                return false;
            }
            *n += 1;
            return true;
        }
        if self.counts.len() >= MAX_SENDERS || cap == 0 {
            return false;
        }
        self.counts.insert(sender.to_string(), 1);
        true
    }
}

#[derive(Debug)]
struct Inner {
    queue: Vec<Item>,
    senders: Senders,
}

/// The process's autolearn queue (one for every configuration a reload brings: a flush
/// learns what was queued under any of them).
#[derive(Debug)]
pub struct Learner {
    inner: Mutex<Inner>,
    /// Wakes the flush task early (shutdown).
    pub(super) wake: tokio::sync::Notify,
    /// One flush at a time (the periodic one, or the last one at shutdown).
    pub(super) flushing: tokio::sync::Mutex<()>,
}

static RUNNING: OnceLock<Arc<Learner>> = OnceLock::new();

impl Default for Learner {
    fn default() -> Self {
        Learner::new(Instant::now())
    }
}

impl Learner {
    pub fn new(now: Instant) -> Learner {
        Learner {
            inner: Mutex::new(Inner {
                queue: Vec::new(),
                senders: Senders {
                    since: now,
                    counts: HashMap::new(),
                },
            }),
            wake: tokio::sync::Notify::new(),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// The learner `moat serve` started, if any (`None` in `moat scan` and the tests that
    /// build a server in-process without it).
    pub fn running() -> Option<&'static Arc<Learner>> {
        RUNNING.get()
    }

    /// Makes `learner` the process's (the first one wins: one serve per process).
    pub(super) fn install(learner: Arc<Learner>) -> Arc<Learner> {
        RUNNING.get_or_init(|| learner).clone()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding it cannot leave the queue inconsistent (a push or a take).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for a message that passed the guards: `false` (counted) when the queue
    /// is full (`dropped`) or the sender's share of the hour is used up. The caller then
    /// takes the message's tokens, off the lock, and `put`s it.
    pub fn admit(&self, settings: &Autolearn, class: Class, sender: &str) -> bool {
        self.admit_at(settings, class, sender, Instant::now())
    }

    pub(super) fn admit_at(
        &self,
        settings: &Autolearn,
        class: Class,
        sender: &str,
        now: Instant,
    ) -> bool {
        let mut inner = self.inner();
        let outcome = if inner.queue.len() >= settings.per_flush {
            "dropped"
        } else if !inner.senders.admit(sender, settings.per_sender_hourly, now) {
            super::Guard::SenderCap.label()
        } else {
            return true;
        };
        drop(inner);
        metrics::counted(class, outcome);
        false
    }

    /// Queues an admitted message (unless other sessions filled the queue meanwhile).
    pub fn put(&self, settings: &Autolearn, item: Item) {
        let mut inner = self.inner();
        if inner.queue.len() >= settings.per_flush {
            drop(inner);
            return metrics::counted(item.class, "dropped");
        }
        inner.queue.push(item);
        metrics::queued(inner.queue.len());
    }

    /// Takes up to `max` queued messages, oldest first.
    pub fn take(&self, max: usize) -> Vec<Item> {
        let mut inner = self.inner();
        let n = inner.queue.len().min(max);
        let batch: Vec<Item> = inner.queue.drain(..n).collect();
        metrics::queued(inner.queue.len());
        batch
    }

    /// Puts a batch that could not be saved back in front of the queue, up to `max`
    /// messages in all; returns those that did not fit (dropped, counted by the caller).
    pub fn requeue(&self, mut batch: Vec<Item>, max: usize) -> Vec<Item> {
        let mut inner = self.inner();
        let room = max.saturating_sub(inner.queue.len());
        let overflow = if batch.len() > room {
            batch.split_off(room)
        } else {
            Vec::new()
        };
        batch.append(&mut inner.queue);
        inner.queue = batch;
        metrics::queued(inner.queue.len());
        overflow
    }

    /// Messages waiting for the next flush.
    pub fn len(&self) -> usize {
        self.inner().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
