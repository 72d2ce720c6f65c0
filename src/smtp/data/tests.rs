use super::*;

fn receiver(policy: BareNewline, nul: NulBytes) -> DataReceiver {
    DataReceiver::new(1 << 20, 1000, policy, 0).with_nul_bytes(nul)
}

/// Feeds `input` in chunks of `chunk` bytes; returns (result, bytes left after the end).
/// What a run produced: the message (or its problem) and the input left after the end.
type Outcome = Option<(Result<Vec<u8>, DataProblem>, Vec<u8>)>;

fn run(policy: BareNewline, nul: NulBytes, input: &[u8], chunk: usize) -> Outcome {
    let mut r = receiver(policy, nul);
    let mut offset = 0;
    for piece in input.chunks(chunk) {
        if let Some(used) = r.feed(piece) {
            let rest = input[offset + used..].to_vec();
            return Some((r.finish(), rest));
        }
        offset += piece.len();
    }
    None
}

fn all_chunkings(policy: BareNewline, input: &[u8]) -> Outcome {
    all_chunkings_nul(policy, NulBytes::Reject, input)
}

fn all_chunkings_nul(policy: BareNewline, nul: NulBytes, input: &[u8]) -> Outcome {
    let first = run(policy, nul, input, input.len().max(1));
    for chunk in 1..=input.len().min(16) {
        assert_eq!(
            run(policy, nul, input, chunk),
            first,
            "chunk size {chunk} disagrees"
        );
    }
    first
}

#[test]
fn plain_message_and_pipelined_rest() {
    let (body, rest) = all_chunkings(
        BareNewline::Reject,
        b"Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n",
    )
    .unwrap();
    assert_eq!(body.unwrap(), b"Subject: x\r\n\r\nhello\r\n");
    assert_eq!(rest, b"QUIT\r\n");
}

#[test]
fn empty_message() {
    let (body, rest) = all_chunkings(BareNewline::Reject, b".\r\n").unwrap();
    assert_eq!(body.unwrap(), b"");
    assert!(rest.is_empty());
}

#[test]
fn dot_unstuffing() {
    let (body, _) = all_chunkings(BareNewline::Reject, b"..leading\r\n...\r\n.x\r\n.\r\n").unwrap();
    assert_eq!(body.unwrap(), b".leading\r\n..\r\nx\r\n");
}

/// Every smuggling terminator from the issue, inside a message whose real end comes later.
const SMUGGLING: [&[u8]; 8] = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r.\r",
    b"\r.\r\n",
    b"\r\n.\n",
    b"\r\n.\r",
    b"\r\n\0.\r\n",
    b"\r\n.\0\r\n",
];

fn smuggling_payload(seq: &[u8]) -> Vec<u8> {
    let mut m = b"Subject: a\r\n\r\nfirst".to_vec();
    m.extend_from_slice(seq);
    m.extend_from_slice(b"MAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n");
    m
}

#[test]
fn smuggling_terminators_never_end_the_message_reject_mode() {
    for seq in SMUGGLING {
        let (result, rest) = all_chunkings(BareNewline::Reject, &smuggling_payload(seq)).unwrap();
        assert_eq!(
            rest, b"NOOP\r\n",
            "{seq:?}: the message must end only at the real marker"
        );
        let expected = match seq.contains(&0) {
            true => DataProblem::NulByte,
            false => DataProblem::BareNewline,
        };
        assert_eq!(result, Err(expected), "{seq:?}");
    }
}

/// A backend that drops NUL would read `<CRLF>NUL.<CRLF>` as the end of the message: Moat
/// refuses such a message by default, whatever the bare-newline policy.
#[test]
fn smuggling_nul_dot_refused_by_default() {
    for policy in [BareNewline::Reject, BareNewline::Normalize] {
        for seq in SMUGGLING.iter().filter(|s| s.contains(&0)) {
            let (result, rest) = all_chunkings(policy, &smuggling_payload(seq)).unwrap();
            assert_eq!(rest, b"NOOP\r\n", "{seq:?}");
            assert_eq!(result, Err(DataProblem::NulByte), "{seq:?}");
        }
    }
}

/// `nul_bytes: strip` removes NUL after framing: the would-be end marker stays body text
/// (a dot-first line is dot-stuffed again by the relay, so it ends nothing at the backend).
#[test]
fn smuggling_nul_dot_stripped_stays_inside_the_message() {
    for seq in SMUGGLING.iter().filter(|s| s.contains(&0)) {
        let payload = smuggling_payload(seq);
        let (result, rest) =
            all_chunkings_nul(BareNewline::Reject, NulBytes::Strip, &payload).unwrap();
        assert_eq!(rest, b"NOOP\r\n", "{seq:?}");
        let body = result.unwrap();
        assert!(!body.contains(&0), "{seq:?}");
        assert!(body.windows(8).any(|w| w == b"smuggled"), "{seq:?}");
    }
}

#[test]
fn smuggling_terminators_never_end_the_message_normalize_mode() {
    for seq in SMUGGLING {
        let (result, rest) = all_chunkings_nul(
            BareNewline::Normalize,
            NulBytes::Strip,
            &smuggling_payload(seq),
        )
        .unwrap();
        assert_eq!(rest, b"NOOP\r\n", "{seq:?}");
        let body = result.unwrap();
        assert!(body.windows(8).any(|w| w == b"smuggled"), "{seq:?}");
        // Normalized output has only CRLF line ends.
        for (i, &b) in body.iter().enumerate() {
            if b == b'\n' {
                assert_eq!(body[i - 1], b'\r', "{seq:?}");
            }
            if b == b'\r' {
                assert_eq!(body[i + 1], b'\n', "{seq:?}");
            }
        }
    }
}

#[test]
fn normalize_rewrites_bare_lf_lines() {
    let (body, _) = all_chunkings(BareNewline::Normalize, b"a\nb\rc\r\n.\r\n").unwrap();
    assert_eq!(body.unwrap(), b"a\r\nb\r\nc\r\n");
}

#[test]
fn oversize_is_discarded_but_the_end_is_still_found() {
    let mut r = DataReceiver::new(100, 1000, BareNewline::Reject, 0);
    let line = [b'x'; 50];
    for _ in 0..10_000 {
        assert_eq!(r.feed(&line), None);
        assert_eq!(r.feed(b"\r\n"), None);
    }
    // Nothing beyond the limit was kept.
    assert!(r.body.capacity() < 1000);
    assert_eq!(r.feed(b".\r\nQUIT"), Some(3));
    assert_eq!(r.finish(), Err(DataProblem::TooBig));
}

#[test]
fn long_line_is_refused() {
    let mut r = DataReceiver::new(1 << 20, 1000, BareNewline::Reject, 0);
    r.feed(&[b'y'; 1001]);
    assert_eq!(r.feed(b"\r\n.\r\n"), Some(5));
    assert_eq!(r.finish(), Err(DataProblem::LineTooLong));
}

#[test]
fn line_of_exactly_the_limit_is_fine() {
    let mut r = DataReceiver::new(1 << 20, 1000, BareNewline::Reject, 0);
    r.feed(&[b'y'; 1000]);
    assert_eq!(r.feed(b"\r\n.\r\n"), Some(5));
    assert_eq!(r.finish().unwrap().len(), 1002);
}
