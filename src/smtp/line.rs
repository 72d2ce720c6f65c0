//! Command-line framing: splits input at CRLF with a hard length limit and the configured
//! treatment of bare CR / bare LF. An over-long line is not buffered: Moat switches to a
//! discard state and throws bytes away until the line ends.

use crate::config::BareNewline;

/// What the framer found at the front of the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line (without its terminator) and the number of input bytes it used.
    Line { len: usize, consumed: usize },
    /// A line longer than the limit ended; its bytes are gone.
    TooLong { consumed: usize },
    /// A line contained a bare CR or ended in a bare LF (reject mode).
    BareNewline { consumed: usize },
    /// No complete line yet; `discard` bytes at the front may be dropped (over-long line).
    Incomplete { discard: usize },
}

#[derive(Debug)]
pub struct LineFramer {
    max: usize,
    policy: BareNewline,
    /// Inside an over-long line: everything up to the next LF is thrown away.
    discarding: bool,
}

impl LineFramer {
    pub fn new(max: usize, policy: BareNewline) -> LineFramer {
        LineFramer {
            max,
            policy,
            discarding: false,
        }
    }

    /// Forgets any partial over-long line (after STARTTLS the input starts afresh).
    pub fn reset(&mut self) {
        self.discarding = false;
    }

    /// Inside an over-long line whose bytes are being thrown away.
    pub fn is_discarding(&self) -> bool {
        self.discarding
    }

    pub fn next(&mut self, input: &[u8]) -> Frame {
        let Some(lf) = memchr::memchr(b'\n', input) else {
            // `max` counts the CRLF too: more than max-2 content bytes can never fit.
            if self.discarding || input.len() > self.max {
                self.discarding = true;
                // Keep a trailing CR: it may pair with an LF in the next read.
                let keep = usize::from(input.last() == Some(&b'\r'));
                return Frame::Incomplete {
                    discard: input.len() - keep,
                };
            }
            return Frame::Incomplete { discard: 0 };
        };
        let consumed = lf + 1;
        if self.discarding || consumed > self.max {
            self.discarding = false;
            return Frame::TooLong { consumed };
        }
        let crlf = lf > 0 && input[lf - 1] == b'\r';
        let len = if crlf { lf - 1 } else { lf };
        let bare_cr = memchr::memchr(b'\r', &input[..len]).is_some();
        let bad = bare_cr || (!crlf && self.policy == BareNewline::Reject);
        if bad {
            return Frame::BareNewline { consumed };
        }
        Frame::Line { len, consumed }
    }
}

#[cfg(test)]
mod tests;
