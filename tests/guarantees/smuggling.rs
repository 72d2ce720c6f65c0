//! Guarantee 4: unambiguous framing. No SMTP-smuggling payload reaches the backend as a
//! second message, whatever the end-of-line variant and however the bytes are split.
//!
//! The fault backend is deliberately *vulnerable* (it also ends DATA at `.<LF>`) and records
//! every MAIL FROM / RCPT TO it sees, so a smuggled transaction would show up there.

use super::support::*;
use crate::common::client::TcpClient;
use crate::common::fault_backend::{FaultBackend, contains};
use crate::common::moat::Moat;
use std::io::Write;
use std::time::Duration;

const EVIL_FROM: &str = "evil@x.test";

fn payload(seq: &[u8]) -> (Vec<u8>, usize) {
    let mut p = b"Subject: a\r\n\r\nfirst".to_vec();
    let at = p.len();
    p.extend_from_slice(seq);
    p.extend_from_slice(
        b"MAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n",
    );
    (p, at)
}

fn has_bare_newline(seq: &[u8]) -> bool {
    seq.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => seq.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || seq[i - 1] != b'\r',
        _ => false,
    })
}

/// Sends the smuggling payload in one transaction. `split`: one write, or byte by byte
/// around the sequence and the final terminator with small sleeps. Returns the end-of-data
/// reply after checking that no further (smuggled) replies are pending.
fn attempt(moat: &Moat, seq: &[u8], split: bool) -> String {
    let (mut c, _) = connect_ehlo(moat);
    c.stream.set_nodelay(true).unwrap();
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    let (p, at) = payload(seq);
    if split {
        let w = &mut c.stream;
        w.write_all(&p[..at]).unwrap();
        let tail_start = p.len() - 5; // "\r\n.\r\n"
        // The sequence and the first bytes after it, byte by byte.
        let seq_end = (at + seq.len() + 6).min(tail_start);
        // Pacing, the behaviour under test: each byte arrives in its own segment, so
        // Moat's receiver sees the sequence cut at every position.
        for b in &p[at..seq_end] {
            std::thread::sleep(Duration::from_millis(15));
            w.write_all(std::slice::from_ref(b)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(15));
        w.write_all(&p[seq_end..tail_start]).unwrap();
        for b in &p[tail_start..] {
            std::thread::sleep(Duration::from_millis(15));
            w.write_all(std::slice::from_ref(b)).unwrap();
        }
    } else {
        c.send(&p);
    }
    let end = c.reply();
    // Exactly one reply for the whole payload: the next reply must be VRFY's own 252.
    let probe = c.cmd("VRFY probe");
    assert!(
        probe.starts_with("252"),
        "after the end-of-data reply {end:?} the next reply must be VRFY's 252; got {probe:?} \
         (a reply to a smuggled command?)"
    );
    expect(&c.cmd("QUIT"), "221", "QUIT");
    end
}

/// After `settle` (Moat stopped, every backend connection ended), nothing smuggled reached
/// the backend: no second MAIL FROM, no RCPT for the smuggled recipient.
fn check_backend(moat: &mut Moat, backend: &FaultBackend, context: &str) {
    settle(moat, backend);
    let froms = backend.mail_froms();
    assert!(
        !froms.iter().any(|f| f.contains(EVIL_FROM)),
        "{context}: a smuggled MAIL FROM reached the backend: {froms:?}"
    );
    let rcpts = backend.rcpts();
    assert!(
        !rcpts.iter().any(|r| r.contains("bob@example.test")),
        "{context}: a smuggled RCPT reached the backend: {rcpts:?}"
    );
    for m in backend.messages() {
        assert!(
            !contains(&m.data, b"smuggled") || contains(&m.data, b"first"),
            "{context}: the backend got a message made only of the smuggled part: {:?}",
            m.text()
        );
    }
    assert_eq!(
        backend.bare_newlines_seen(),
        0,
        "{context}: Moat passed a bare CR or LF to the backend: {:?}",
        backend
            .data_sections()
            .iter()
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .collect::<Vec<_>>()
    );
}

fn smuggle(seq: &[u8], mode: &'static str) {
    for split in [false, true] {
        // A Moat and a backend per attempt, so that each attempt ends with `settle`.
        let backend = FaultBackend::normal();
        let mut moat = Conf::for_backend(&backend).bare_newline(mode).start();
        let before = backend.messages().len();
        let context = format!(
            "bare_newline: {mode}, sequence {:?}, {}",
            String::from_utf8_lossy(seq),
            if split { "split writes" } else { "one write" }
        );
        let end = attempt(&moat, seq, split);
        check_backend(&mut moat, &backend, &context);
        let new: Vec<_> = backend.messages()[before..].to_vec();
        assert!(
            new.len() <= 1,
            "{context}: one client transaction produced {} backend messages",
            new.len()
        );
        let bare = has_bare_newline(seq);
        match (mode, bare) {
            ("reject", true) => {
                assert!(
                    end.starts_with("550 5.6.0"),
                    "{context}: expected `550 5.6.0` after the end of data; got {end:?}"
                );
                assert!(new.is_empty(), "{context}: refused, yet delivered");
            }
            ("normalize", true) => {
                assert!(
                    end.starts_with("250"),
                    "{context}: with normalize the message is accepted; got {end:?}"
                );
                assert_eq!(new.len(), 1, "{context}: exactly one message");
                let want = b"first\r\n.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n";
                assert!(
                    contains(&new[0].data, want),
                    "{context}: the smuggling attempt must arrive as body lines of the one message; got {:?}",
                    new[0].text()
                );
            }
            _ => {
                // NUL variants: no bare newline. Accepted as one message, or refused.
                if end.starts_with("250") {
                    assert_eq!(new.len(), 1, "{context}: 250 but {} messages", new.len());
                    assert!(
                        contains(&new[0].data, b"smuggled") && contains(&new[0].data, b"first"),
                        "{context}: the one message must hold the whole payload; got {:?}",
                        new[0].text()
                    );
                } else {
                    assert!(
                        (400..600).contains(&code(&end)),
                        "{context}: expected 250 or a refusal; got {end:?}"
                    );
                    assert!(new.is_empty(), "{context}: refused, yet delivered");
                }
            }
        }
    }
}

macro_rules! smuggling_tests {
    ($($name:ident: $seq:expr;)*) => {
        mod reject {
            use super::*;
            $(#[test] fn $name() { smuggle($seq, "reject"); })*
        }
        mod normalize {
            use super::*;
            $(#[test] fn $name() { smuggle($seq, "normalize"); })*
        }
    };
}

// Test names: guarantees::smuggling::{reject,normalize}::smuggling_<sequence>.
smuggling_tests! {
    smuggling_lf_dot_lf: b"\n.\n";
    smuggling_lf_dot_crlf: b"\n.\r\n";
    smuggling_cr_dot_cr: b"\r.\r";
    smuggling_cr_dot_crlf: b"\r.\r\n";
    smuggling_crlf_dot_lf: b"\r\n.\n";
    smuggling_crlf_dot_cr: b"\r\n.\r";
    smuggling_crlf_nul_dot_crlf: b"\r\n\0.\r\n";
    smuggling_crlf_dot_nul_crlf: b"\r\n.\0\r\n";
}

/// `<LF>.<LF>` at the very end does not end DATA (in either mode): Moat keeps waiting, and only
/// `<CRLF>.<CRLF>` ends it.
#[test]
fn smuggling_bare_lf_terminator_does_not_end_data() {
    for mode in ["reject", "normalize"] {
        let backend = FaultBackend::normal();
        let mut moat = Conf::for_backend(&backend).bare_newline(mode).start();
        let (mut c, _) = connect_ehlo(&moat);
        c.stream.set_nodelay(true).unwrap();
        expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
        expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
        expect(&c.cmd("DATA"), "354", "DATA");
        // Two writes: `<LF>.<LF>` ends the first. Had it ended DATA, Moat would answer it,
        // then answer `more` and `.` as (bad) commands, so VRFY's 252 would not be the reply
        // after the end of data — no waiting for a reply that must not come.
        c.send(b"Subject: t\r\n\r\nbody\n.\n");
        c.send(b"more\r\n.\r\nVRFY probe\r\n");
        let end = c.reply();
        let next = c.reply();
        assert!(
            next.starts_with("252"),
            "{mode}: `<LF>.<LF>` must not end DATA: after {end:?} came {next:?}, not VRFY's 252"
        );
        if mode == "reject" {
            expect(&end, "550 5.6.0", "bare LF in message (reject)");
            assert!(backend.messages().is_empty());
        } else {
            expect(&end, "250", "bare LF in message (normalize)");
            let m = backend.messages();
            assert_eq!(m.len(), 1);
            assert!(
                contains(&m[0].data, b"body\r\n.\r\nmore\r\n"),
                "normalized content: {:?}",
                m[0].text()
            );
        }
        check_backend(&mut moat, &backend, mode);
    }
}

/// A legitimate dot-stuffed line (`..`) stays stuffed on the way to the backend, so the
/// backend sees a body line `.`, not an end of data.
#[test]
fn smuggling_dot_stuffed_line_stays_stuffed() {
    let backend = FaultBackend::normal();
    let mut moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    c.send(b"Subject: a\r\n\r\nfirst\r\n..\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n..leading dot\r\n.\r\n");
    let end = c.reply();
    expect(&end, "250", "end of data");
    expect(&c.cmd("VRFY probe"), "252", "no extra replies");
    check_backend(&mut moat, &backend, "dot-stuffed");
    let m = backend.messages();
    assert_eq!(m.len(), 1);
    assert!(
        contains(
            &m[0].data,
            b"first\r\n.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n.leading dot\r\n"
        ),
        "content after unstuffing: {:?}",
        m[0].text()
    );
}

/// The commands pipelined in one write, then the payload and the next command in one write.
#[test]
fn smuggling_pipelined_session() {
    let backend = FaultBackend::normal();
    let mut moat = Conf::for_backend(&backend).start();
    let mut c = TcpClient::connect(moat.addr);
    expect(&c.reply(), "220", "greeting");
    c.send(b"EHLO c.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n");
    expect(&c.reply(), "250", "EHLO");
    expect(&c.reply(), "250", "MAIL");
    expect(&c.reply(), "250", "RCPT");
    expect(&c.reply(), "354", "DATA");
    let mut all = payload(b"\n.\r\n").0;
    all.extend_from_slice(b"VRFY probe\r\n");
    c.send(&all);
    expect(&c.reply(), "550 5.6.0", "end of data (bare LF, reject)");
    expect(&c.reply(), "252", "VRFY right after: no smuggled replies");
    check_backend(&mut moat, &backend, "pipelined");
    assert!(backend.messages().is_empty());
}
