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
