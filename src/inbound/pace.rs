//! The floor under how slowly a client may send a command.
//!
//! Idle timeouts restart at every read, so a client that sends one byte every few seconds
//! of a command line that never ends keeps its connection for the whole session timeout
//! (30 minutes by default). `LineClock` bounds the line itself: once its first byte has
//! arrived, the line must end within `limits.timeouts.command_line`, however the bytes are
//! spread. A real client writes a command line in one packet.

use crate::smtp::session::Session;
use std::time::{Duration, Instant};

/// When the command line under way began.
#[derive(Debug, Default)]
pub struct LineClock {
    /// When the line began, and how many lines had ended then (a new one restarts it).
    started: Option<(Instant, u32)>,
}

/// How long the next read may wait, and what bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub duration: Duration,
    /// The line deadline, not the idle timeout, is what ends the wait.
    pub line_deadline: bool,
}

impl LineClock {
    /// The wait before the next read: `idle`, or what is left of `limit` when a command line
    /// is under way. Called before each read, so a line is timed from the read that brought
    /// its first byte.
    pub fn next_wait(
        &mut self,
        session: &Session,
        idle: Duration,
        limit: Duration,
        now: Instant,
    ) -> Wait {
        if !session.mid_command() {
            self.started = None;
            return Wait {
                duration: idle,
                line_deadline: false,
            };
        }
        let lines = session.lines_received();
        let started = match self.started {
            Some((at, n)) if n == lines => at,
            _ => {
                self.started = Some((now, lines));
                now
            }
        };
        let left = limit.saturating_sub(now.saturating_duration_since(started));
        Wait {
            duration: idle.min(left),
            line_deadline: left < idle,
        }
    }
}

#[cfg(test)]
mod tests;
