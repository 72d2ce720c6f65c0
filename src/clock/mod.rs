//! Moat's clock, so that tests move time instead of sleeping through a delay.
//!
//! Two kinds of time, one offset:
//! - **Wall time** ([`unix_now`]): greylist triplets and rate-limit windows, which instances
//!   share through Redis and so must count in Unix seconds.
//! - **Monotonic time** ([`now`]): the state store's expiry, the Redis retry, the backend
//!   pool's idle age and the health probe's cache. It is tokio's `Instant`, so a test that
//!   pauses tokio (`#[tokio::test(start_paused = true)]`) moves it with `tokio::time::advance`.
//!
//! Both add an offset that only [`advance`] moves (zero in production). A test that cannot
//! pause tokio — one that talks to a real peer over a socket, where tokio's auto-advance would
//! fire every timer while the runtime waits for the peer — calls `advance` instead: the
//! greylist delay, a rate window or the Redis retry pass at once, and tokio's own timers
//! (timeouts) are untouched. Session and command timeouts are tokio timers: tests of those
//! pause tokio. The offset is per process (nextest runs each test in its own process).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far [`advance`] has moved both clocks, in milliseconds (zero outside tests).
static OFFSET_MS: AtomicU64 = AtomicU64::new(0);

fn offset() -> Duration {
    Duration::from_millis(OFFSET_MS.load(Ordering::Relaxed))
}

/// Time since the Unix epoch, as Moat sees it.
pub fn unix_now() -> Duration {
    let system = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    system + offset()
}

/// The monotonic now, as Moat sees it: tokio's (pausable) clock plus the offset.
pub fn now() -> tokio::time::Instant {
    tokio::time::Instant::now() + offset()
}

/// Moves [`unix_now`] and [`now`] forward by `by`. For tests only.
pub fn advance(by: Duration) {
    let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
    OFFSET_MS.fetch_add(ms, Ordering::Relaxed);
}

#[cfg(test)]
mod tests;
