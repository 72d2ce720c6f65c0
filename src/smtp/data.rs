//! The DATA receiver: dot-unstuffing, the one and only end marker `<CRLF>.<CRLF>`, and the
//! limits. It is fed arbitrary chunks and never buffers more than the message size limit:
//! once a limit is crossed it keeps scanning for the end marker and throws the bytes away.
//!
//! Smuggling defence: a line start is only recognised after a real CRLF (or right after the
//! DATA command), so `\n.\n`, `\r.\r`, `\n.\r\n` and friends never end the message. A bare CR
//! or LF anywhere marks the message (reject mode) or is rewritten to CRLF (normalize mode);
//! either way the bytes that follow stay inside this message.
//!
//! NUL bytes are refused too (or, if the admin chooses, stripped by Moat itself): a backend
//! that silently drops NUL would see `<CRLF>NUL.<CRLF>` as an end marker that Moat never saw.
//! Stripping happens after framing, so the backend gets exactly the lines Moat judged.

use crate::budget::{self, Reservation};
use crate::config::{BareNewline, NulBytes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line; `crlf` tells whether a real CRLF (or the DATA command) came
    /// before, which is the only place the end marker may start.
    LineStart { crlf: bool },
    /// A '.' opened the line.
    Dot { crlf: bool },
    /// '.' then CR opened the line.
    DotCr { crlf: bool },
    /// Inside a line.
    Text,
    /// A CR inside a line, waiting to see whether LF follows.
    Cr,
}

/// Why a received message cannot be accepted, decided once its end has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataProblem {
    TooBig,
    BareNewline,
    LineTooLong,
    NulByte,
    /// The memory budget had no room for the rest: a temporary failure (452 4.3.1).
    NoMemory,
}

#[derive(Debug)]
pub struct DataReceiver {
    state: State,
    policy: BareNewline,
    nul_bytes: NulBytes,
    max_size: usize,
    max_line: usize,
    line_len: usize,
    /// Bytes of message content seen (after unstuffing), counted even when discarding.
    size: usize,
    body: Vec<u8>,
    problem: Option<DataProblem>,
    /// Room in the process's memory budget; grown before `body` grows (`crate::budget`).
    /// `None` only where no budget applies (unit tests, benchmarks, fuzzing).
    reservation: Option<Reservation>,
}

impl DataReceiver {
    /// `size_hint` is the size the client declared (`MAIL … SIZE=`): the buffer gets that
    /// capacity at once, so a message that keeps its word is never copied while it grows.
    /// Pages are only touched as bytes arrive, and the reservation covers the declared size.
    pub fn new(max_size: usize, max_line: usize, policy: BareNewline, size_hint: usize) -> Self {
        DataReceiver {
            state: State::LineStart { crlf: true },
            policy,
            nul_bytes: NulBytes::Reject,
            max_size,
            max_line,
            line_len: 0,
            size: 0,
            body: Vec::with_capacity(size_hint.min(max_size)),
            problem: None,
            reservation: None,
        }
    }

    /// What NUL bytes in the message do (`smtp.nul_bytes`); refused unless told otherwise.
    pub fn with_nul_bytes(mut self, nul_bytes: NulBytes) -> Self {
        self.nul_bytes = nul_bytes;
        self
    }

    /// Makes the receiver keep within `reservation`, growing it as the message arrives.
    pub fn reserving(mut self, reservation: Reservation) -> Self {
        self.reservation = Some(reservation);
        self
    }

    /// The reservation, to be held until the message has been delivered or refused.
    pub fn take_reservation(&mut self) -> Option<Reservation> {
        self.reservation.take()
    }

    /// Consumes bytes from `input`; returns `Some(consumed)` when the end marker was seen
    /// (bytes after it belong to the next command), `None` when all input was used.
    pub fn feed(&mut self, input: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Text {
                // Fast path: copy the run up to the next CR or LF in one go.
                let run = memchr::memchr2(b'\r', b'\n', &input[i..]).unwrap_or(input.len() - i);
                self.emit(&input[i..i + run]);
                i += run;
                if i == input.len() {
                    break;
                }
            }
            let b = input[i];
            i += 1;
            if self.step(b) {
                return Some(i);
            }
        }
        None
    }

    /// Advances the state machine by one byte; true at the end marker.
    fn step(&mut self, b: u8) -> bool {
        match (self.state, b) {
            (State::LineStart { crlf }, b'.') => self.state = State::Dot { crlf },
            (State::LineStart { .. }, b'\r') => self.state = State::Cr,
            (State::LineStart { .. } | State::Text, b'\n') => self.bare_newline(),
            (State::LineStart { .. }, _) => {
                self.state = State::Text;
                self.emit(&[b]);
            }
            (State::Dot { crlf }, b'\r') => self.state = State::DotCr { crlf },
            (State::Dot { .. }, b'\n') => {
                // "." alone before a bare LF: not a stuffed dot, not an end marker.
                self.emit(b".");
                self.bare_newline();
            }
            (State::Dot { .. }, _) => {
                // Dot-unstuffing: the leading dot is dropped.
                self.state = State::Text;
                self.emit(&[b]);
            }
            (State::DotCr { crlf: true }, b'\n') => return true,
            (State::DotCr { crlf: false }, b'\n') => {
                self.emit(b".");
                self.end_line();
            }
            (State::DotCr { .. }, _) => {
                self.emit(b".");
                self.bare_newline();
                return self.step(b);
            }
            (State::Text, b'\r') => self.state = State::Cr,
            (State::Text, _) => self.emit(&[b]),
            (State::Cr, b'\n') => self.end_line(),
            (State::Cr, _) => {
                self.bare_newline();
                return self.step(b);
            }
        }
        false
    }

    fn end_line(&mut self) {
        self.emit(b"\r\n");
        self.line_len = 0;
        self.state = State::LineStart { crlf: true };
    }

    /// A bare CR or LF: in reject mode the message is marked (and stops being stored); in
    /// normalize mode it becomes CRLF, but the next line still cannot start an end marker.
    fn bare_newline(&mut self) {
        if self.policy == BareNewline::Reject {
            self.fail(DataProblem::BareNewline);
        }
        self.emit(b"\r\n");
        self.line_len = 0;
        self.state = State::LineStart { crlf: false };
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.size += bytes.len();
        if bytes != b"\r\n" {
            self.line_len += bytes.len();
            if self.line_len > self.max_line {
                self.fail(DataProblem::LineTooLong);
            }
        }
        if self.size > self.max_size {
            self.fail(DataProblem::TooBig);
        }
        if self.problem.is_some() {
            return;
        }
        if !self.room_for(self.body.len() + bytes.len()) {
            self.fail(DataProblem::NoMemory);
        } else if memchr::memchr(0, bytes).is_none() {
            self.body.extend_from_slice(bytes);
        } else if self.nul_bytes == NulBytes::Strip {
            self.body.extend(bytes.iter().filter(|&&b| b != 0));
        } else {
            self.fail(DataProblem::NulByte);
        }
    }

    /// Whether the reservation covers a body of `len` bytes, growing it (a step at a time)
    /// when it does not.
    fn room_for(&mut self, len: usize) -> bool {
        let Some(reservation) = self.reservation.as_mut() else {
            return true;
        };
        if budget::cost(len) <= reservation.bytes() {
            return true;
        }
        let step = len.div_ceil(budget::GROWTH_STEP) * budget::GROWTH_STEP;
        reservation.grow_to(budget::cost(step.min(self.max_size).max(len)))
    }

    fn fail(&mut self, problem: DataProblem) {
        // The first problem wins, except that "too big" is what a sender most needs to know,
        // and that a permanent problem beats a temporary one (a retry would fail anyway).
        if self.problem.is_none()
            || problem == DataProblem::TooBig
            || self.problem == Some(DataProblem::NoMemory)
        {
            self.problem = Some(problem);
        }
        self.body = Vec::new();
        // Nothing more is stored: the room goes back to other sessions at once.
        if let Some(reservation) = self.reservation.as_mut() {
            reservation.release();
        }
    }

    /// Content size in bytes so far (after unstuffing), including discarded bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The message, or why it cannot be accepted. Call after `feed` returned `Some`.
    pub fn finish(self) -> Result<Vec<u8>, DataProblem> {
        match self.problem {
            Some(p) => Err(p),
            None => Ok(self.body),
        }
    }
}

#[cfg(test)]
mod tests;
