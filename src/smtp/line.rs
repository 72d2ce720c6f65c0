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
mod tests {
    use super::*;

    fn framer() -> LineFramer {
        LineFramer::new(16, BareNewline::Reject)
    }

    #[test]
    fn splits_at_crlf() {
        let mut f = framer();
        assert_eq!(
            f.next(b"NOOP\r\nQUIT\r\n"),
            Frame::Line {
                len: 4,
                consumed: 6
            }
        );
        assert_eq!(f.next(b"NOOP\r"), Frame::Incomplete { discard: 0 });
    }

    #[test]
    fn bare_lf_and_bare_cr_are_refused_in_reject_mode() {
        let mut f = framer();
        assert_eq!(
            f.next(b"RSET\nNOOP\r\n"),
            Frame::BareNewline { consumed: 5 }
        );
        assert_eq!(f.next(b"RS\rET\r\n"), Frame::BareNewline { consumed: 7 });
    }

    #[test]
    fn bare_lf_ends_a_line_in_normalize_mode() {
        let mut f = LineFramer::new(16, BareNewline::Normalize);
        assert_eq!(
            f.next(b"RSET\nNOOP\r\n"),
            Frame::Line {
                len: 4,
                consumed: 5
            }
        );
        assert_eq!(f.next(b"RS\rET\r\n"), Frame::BareNewline { consumed: 7 });
    }

    #[test]
    fn over_long_line_is_discarded_not_buffered() {
        let mut f = framer();
        let long = [b'A'; 40];
        assert_eq!(f.next(&long), Frame::Incomplete { discard: 40 });
        assert_eq!(f.next(b"AAAA\r"), Frame::Incomplete { discard: 4 });
        assert_eq!(f.next(b"\r\nNOOP\r\n"), Frame::TooLong { consumed: 2 });
        assert_eq!(
            f.next(b"NOOP\r\n"),
            Frame::Line {
                len: 4,
                consumed: 6
            }
        );
    }

    #[test]
    fn line_of_exactly_the_limit_fits() {
        let mut f = framer();
        let line = b"AAAAAAAAAAAAAA\r\n"; // 14 + CRLF = 16
        assert_eq!(
            f.next(line),
            Frame::Line {
                len: 14,
                consumed: 16
            }
        );
        assert_eq!(
            f.next(b"AAAAAAAAAAAAAAA\r\n"),
            Frame::TooLong { consumed: 17 }
        );
    }
}
