//! The test kit's one poll loop, and the rule it belongs to.
//!
//! No test sleeps for something to settle. A test waits for a signal: Moat's `moat ready …`
//! line, a log line (`Log::wait_for`, `Moat::wait_log_until`), a condition variable of an
//! in-process peer (`FaultBackend::wait_messages_containing`, `wait_closed`,
//! `TestDns::wait_queries`), a channel, or `settle`. Only what cannot signal — a third-party
//! program's port, files or log (Redis, clamd, Postfix, Dovecot, smtp-sink, Prometheus), and
//! Moat's pulled HTTP endpoints (`/metrics` gauges, `/readyz`) — is polled, with
//! [`poll_until`] and a bound. The other sleeps left under tests/ pace a client as the
//! behaviour under test (dribbled bytes, split packets, a retrying sender), each commented
//! "Pacing".

use std::time::{Duration, Instant};

/// Calls `done` until it returns true (then true) or `within` has passed (then false): at
/// once, then after 1, 2, 4 … ms, at most 50 ms apart.
pub fn poll_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    loop {
        if done() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
