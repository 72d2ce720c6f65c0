use super::super::tests::meta;
use super::*;
use crate::cli::terminal::assert_terminal_safe;
use std::path::PathBuf;

/// What a remote sender controls: every text field, with ANSI/OSC escapes, a forged row
/// (line break then tab-separated columns), C1 CSI, DEL and a bidi override.
fn hostile() -> Meta {
    let evil = "\x1b]0;owned\x07\x1b[31mred\r\n0-0\t0\tscore=0.0\tFAKE\u{9b}2J\x7f\u{202e}gnp.exe";
    let mut m = meta("a-1", 1);
    m.subject = evil.into();
    m.mail_from = format!("x{evil}@b.test");
    m.rcpt_to = vec![format!("u{evil}@example.test"), "v@example.test".into()];
    m.tests = format!("T{evil}");
    m.helo = evil.into();
    m.client_ip = evil.into();
    m.reference = evil.into();
    m
}

fn entry(state: State) -> Entry {
    Entry {
        id: "a-1".into(),
        state,
        size: 10,
        meta: hostile(),
        path: PathBuf::from("held/a-1.msg"),
    }
}

#[test]
fn quarantine_list_escapes_control_chars() {
    let mut out = Vec::new();
    list(&mut out, &[entry(State::Held), entry(State::Releasing)]).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_terminal_safe(&text, &['\t', '\n']);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(LIST_HEADER), "a header row first");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "no forged row: {text}");
    for row in &rows {
        assert_eq!(row.split('\t').count(), 7, "no forged column: {row}");
        assert!(row.contains("\\x1b]0;owned\\x07"), "{row}");
        assert!(row.contains("\\u{202e}gnp.exe"), "{row}");
    }
    assert!(rows[1].ends_with(" RELEASE-INTERRUPTED"));
}

#[test]
fn quarantine_show_escapes_control_chars() {
    let body = b"Subject: \x1b]8;;http://evil.test\x07click\x1b]8;;\x07\r\n\r\nline 1\r\nbare\rCR \xc2\x9b2J\r\n";
    let mut out = Vec::new();
    show(&mut out, "a-1", &hostile(), body).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_terminal_safe(&text, &['\n']);
    let (head, message) = text.split_once("\n\n").unwrap();
    assert_eq!(head.lines().count(), 9, "one line per field: {head}");
    assert_eq!(
        message,
        "Subject: \\x1b]8;;http://evil.test\\x07click\\x1b]8;;\\x07\n\nline 1\nbare\\rCR \\x9b2J\n"
    );
    // The bytes as stored, only when asked for.
    let mut raw = Vec::new();
    show_raw(&mut raw, body).unwrap();
    assert_eq!(raw, body);
}

#[test]
fn quarantine_list_reports_skipped_entries_escaped() {
    let listing = Listing {
        entries: vec![entry(State::Held)],
        skipped: vec![super::super::Skipped {
            path: PathBuf::from("held/\x1b[2Jx.msg"),
            reason: super::super::Skip::BadName,
        }],
    };
    let mut err = Vec::new();
    skipped(&mut err, &listing).unwrap();
    let text = String::from_utf8(err).unwrap();
    assert_terminal_safe(&text, &['\n']);
    assert!(
        text.ends_with("1 quarantine entries skipped, 1 listed\n"),
        "{text}"
    );
}
