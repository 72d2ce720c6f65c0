//! Sliding-window counting from two fixed windows, as many rate limiters do: the count over
//! the last `window` is estimated as `current + previous × (part of the previous window still
//! inside the last `window`)`. Unlike a plain fixed window, a burst straddling a window
//! boundary is still counted whole, and only two counters per key are stored.
//!
//! Windows are numbered from the Unix epoch, so every instance sharing a Redis agrees on them
//! (clocks are assumed NTP-synchronised).

use std::time::Duration;

/// One position in time, relative to the fixed windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Number of the current fixed window since the epoch.
    pub index: u64,
    /// How far into the current window we are, 0.0 ..< 1.0.
    pub elapsed: f64,
}

impl Slot {
    pub fn now(window: Duration) -> Slot {
        Slot::at(crate::clock::unix_now(), window)
    }

    /// The slot of `since_epoch` for windows of `window` (at least 1 ms).
    pub fn at(since_epoch: Duration, window: Duration) -> Slot {
        let w = window.as_millis().max(1);
        let t = since_epoch.as_millis();
        Slot {
            index: u64::try_from(t / w).unwrap_or(u64::MAX),
            elapsed: (t % w) as f64 / w as f64,
        }
    }

    pub fn current_key(&self, key: &str) -> String {
        format!("{key}:{}", self.index)
    }

    pub fn previous_key(&self, key: &str) -> String {
        format!("{key}:{}", self.index.saturating_sub(1))
    }

    /// The estimated number of events in the last window.
    pub fn estimate(&self, current: u64, previous: u64) -> f64 {
        current as f64 + previous as f64 * (1.0 - self.elapsed)
    }
}

#[cfg(test)]
mod tests;
