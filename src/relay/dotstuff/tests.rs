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
