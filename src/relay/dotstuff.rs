//! SMTP/LMTP DATA encoding (RFC 5321 4.5.2): a pure encoder so the exact bytes sent to the
//! backend are unit-tested, including across chunk boundaries.

/// Dot-stuffs a message given in pieces and appends the `.` terminator.
///
/// A `.` is doubled at the start of every line, where a line starts at the beginning of the
/// stream and after every LF. Counting a bare LF as a line end is deliberate: a backend that
/// accepts bare LF as a line ending must never see `LF.CRLF` unstuffed, which would end the
/// message early (SMTP smuggling).
#[derive(Debug)]
pub struct DotStuffer {
    /// The next byte begins a line.
    line_start: bool,
    /// The last two bytes of the stream so far (zeros until two were written); decides whether
    /// a CRLF must be added before the terminator.
    tail: [u8; 2],
    /// Whether anything was written: an empty message needs no CRLF before the dot.
    written: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer {
            line_start: true,
            tail: [0; 2],
            written: false,
        }
    }
}

impl DotStuffer {
    /// Appends the stuffed form of `input` to `out`. Only the `LF .` pairs are searched for
    /// (memmem), and the spans between them are copied whole.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match input {
            [] => return,
            [.., a, b] => self.tail = [*a, *b],
            [b] => self.tail = [self.tail[1], *b],
        }
        self.written = true;
        out.reserve(input.len() + 8);
        if self.line_start && input[0] == b'.' {
            out.push(b'.');
        }
        let mut copied = 0;
        for lf in memchr::memmem::find_iter(input, b"\n.") {
            // Through the LF, then the extra dot; the line's own dot is copied next time.
            out.extend_from_slice(&input[copied..=lf]);
            out.push(b'.');
            copied = lf + 1;
        }
        out.extend_from_slice(&input[copied..]);
        self.line_start = input.last() == Some(&b'\n');
    }

    /// Appends the terminator: `CRLF` if the stream does not already end in one, then `.CRLF`.
    pub fn finish(self, out: &mut Vec<u8>) {
        if self.written && self.tail != *b"\r\n" {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests;
