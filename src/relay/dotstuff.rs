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
mod tests {
    use super::*;

    fn stuff(pieces: &[&[u8]]) -> Vec<u8> {
        let mut s = DotStuffer::default();
        let mut out = Vec::new();
        for p in pieces {
            s.push(p, &mut out);
        }
        s.finish(&mut out);
        out
    }

    #[test]
    fn plain_message() {
        assert_eq!(stuff(&[b"a\r\nb\r\n"]), b"a\r\nb\r\n.\r\n");
    }

    #[test]
    fn leading_dots_are_doubled() {
        assert_eq!(
            stuff(&[b".a\r\n..b\r\nc.\r\n.\r\n"]),
            b"..a\r\n...b\r\nc.\r\n..\r\n.\r\n"
        );
    }

    #[test]
    fn missing_final_crlf_is_added() {
        assert_eq!(stuff(&[b"a\r\nb"]), b"a\r\nb\r\n.\r\n");
        assert_eq!(stuff(&[b"a\r\n."]), b"a\r\n..\r\n.\r\n");
        assert_eq!(stuff(&[b"a\r"]), b"a\r\r\n.\r\n");
    }

    #[test]
    fn empty_message() {
        assert_eq!(stuff(&[]), b".\r\n");
        assert_eq!(stuff(&[b"", b""]), b".\r\n");
    }

    #[test]
    fn headers_then_empty_body() {
        assert_eq!(stuff(&[b"X-A: 1\r\n", b""]), b"X-A: 1\r\n.\r\n");
    }

    #[test]
    fn state_carries_across_pieces() {
        // Line start after a piece that ended with LF; CRLF split across pieces.
        assert_eq!(stuff(&[b"h\r\n", b".b\r", b"\n"]), b"h\r\n..b\r\n.\r\n");
        // A dot in the middle of a line split across pieces is not a line start.
        assert_eq!(stuff(&[b"ab", b".c\r\n"]), b"ab.c\r\n.\r\n");
        // One-byte pieces.
        let msg = b".x\r\n.\r\ny";
        let pieces: Vec<&[u8]> = msg.chunks(1).collect();
        assert_eq!(stuff(&pieces), b"..x\r\n..\r\ny\r\n.\r\n");
    }

    /// The straightforward definition: a dot after every LF (and at the start) is doubled.
    fn reference(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line_start = true;
        for &b in message {
            if line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            line_start = b == b'\n';
        }
        out
    }

    #[test]
    fn any_split_of_any_dotted_text_stuffs_like_the_definition() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let len = (next() % 40) as usize;
            let text: Vec<u8> = (0..len).map(|_| b".\r\nx"[(next() % 4) as usize]).collect();
            let cut = (next() as usize) % (len + 1);
            let mut stuffer = DotStuffer::default();
            let mut out = Vec::new();
            stuffer.push(&text[..cut], &mut out);
            stuffer.push(&text[cut..], &mut out);
            assert_eq!(
                out,
                reference(&text),
                "{:?} cut at {cut}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn smuggling_bare_lf_dot_is_stuffed() {
        assert_eq!(
            stuff(&[b"a\n.\r\nMAIL FROM:<x>\r\n"]),
            b"a\n..\r\nMAIL FROM:<x>\r\n.\r\n"
        );
    }
}
