//! Moat's clock, so that tests move time instead of sleeping through a delay.
//!
//! Monotonic time is tokio's (`tokio::time::Instant`, `tokio::time::sleep`): a test pauses it
//! (`#[tokio::test(start_paused = true)]`) and advances it. Timeouts, the backend pool's idle
//! age and the state store's retry use it.
//!
//! Wall time — greylist triplets and rate-limit windows, which instances share through Redis
//! and so must count in Unix seconds — comes from [`unix_now`]: the system clock plus an
//! offset that only [`advance_wall`] moves. In production the offset stays zero; a test moves
//! both clocks together: `advance_wall(d)` and `tokio::time::advance(d)` (tokio's
//! `test-util`, a dev-dependency feature, so not in the binary).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far [`advance`] has moved wall time, in milliseconds (zero outside tests).
static OFFSET_MS: AtomicU64 = AtomicU64::new(0);

/// Time since the Unix epoch, as Moat sees it.
pub fn unix_now() -> Duration {
    let system = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    system + Duration::from_millis(OFFSET_MS.load(Ordering::Relaxed))
}

/// Moves [`unix_now`] forward by `by`. For tests, alongside `tokio::time::advance`.
pub fn advance_wall(by: Duration) {
    let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
    OFFSET_MS.fetch_add(ms, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn advance_moves_wall_and_monotonic_time_together() {
        let (wall, mono) = (unix_now(), tokio::time::Instant::now());
        advance_wall(Duration::from_secs(3600));
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(unix_now() - wall >= Duration::from_secs(3600));
        assert_eq!(mono.elapsed(), Duration::from_secs(3600));
    }
}
