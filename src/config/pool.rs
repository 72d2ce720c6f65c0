//! The `backend.pool` section: how many idle SMTP/LMTP backend connections Moat keeps for
//! reuse by later client sessions, for how long, and for how many transactions each.

use super::values::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPool {
    pub max_idle: usize,
    pub max_idle_age: HumanDuration,
    pub max_transactions: u32,
}

impl Default for RawPool {
    fn default() -> Self {
        RawPool {
            max_idle: 64,
            // Well below the idle timeouts of common backends (Postfix smtpd 300 s, Dovecot
            // LMTP 5 min), so a pooled connection is rarely found closed.
            max_idle_age: HumanDuration(Duration::from_secs(10)),
            max_transactions: 100,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Idle connections kept per backend; 0 turns pooling off.
    pub max_idle: usize,
    /// An idle connection older than this is closed instead of reused.
    pub max_idle_age: Duration,
    /// Transactions (MAIL commands) after which a connection is closed, not pooled.
    pub max_transactions: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        build(RawPool::default(), &mut Vec::new())
    }
}

/// Validates the section; problems are `(key, message)`.
pub fn build(raw: RawPool, problems: &mut Vec<(String, String)>) -> PoolConfig {
    if raw.max_idle_age.0.is_zero() {
        problems.push((
            "backend.pool.max_idle_age".into(),
            "must be greater than 0 (set max_idle: 0 to turn pooling off)".into(),
        ));
    }
    if raw.max_transactions == 0 {
        problems.push((
            "backend.pool.max_transactions".into(),
            "must be at least 1".into(),
        ));
    }
    PoolConfig {
        max_idle: raw.max_idle,
        max_idle_age: raw.max_idle_age.0,
        max_transactions: raw.max_transactions,
    }
}

#[cfg(test)]
mod tests;
