//! What `moat quarantine list` and `show` print. Every value came from a remote sender (the
//! envelope, the decoded Subject, the message) or from a file in the store, so each goes
//! through `crate::terminal` on its way to the operator's terminal; only `show --raw` writes
//! the message's bytes as they are (for a file or a pipe, e.g. `moat scan`).

use super::{Entry, Listing, Meta, State};
use crate::terminal::{field, message};
use std::io::{self, Write};

/// The first row of `list`: the names of its columns.
pub const LIST_HEADER: &str = "ID\tTIME (UTC)\tSCORE\tTESTS\tENVELOPE\tSIZE\tSUBJECT";

/// A header row, then one tab-separated row per entry: id, time (ISO 8601, UTC), score,
/// tests, envelope, size, subject (with ` RELEASE-INTERRUPTED` for an entry left in
/// `releasing/`). No value can contain a TAB or a line break once escaped, so rows and
/// columns are exactly what Moat wrote.
pub fn list(out: &mut dyn Write, entries: &[Entry]) -> io::Result<()> {
    writeln!(out, "{LIST_HEADER}")?;
    for e in entries {
        let m = &e.meta;
        let state = if e.state == State::Releasing {
            " RELEASE-INTERRUPTED"
        } else {
            ""
        };
        writeln!(
            out,
            "{}\t{}\tscore={:.1}\t{}\t{} -> {}\t{} bytes\t{}{}",
            e.id,
            crate::headers::iso8601_utc(m.time),
            m.score,
            field(&m.tests),
            field(&m.mail_from),
            field(&m.rcpt_to.join(",")),
            e.size,
            field(&m.subject),
            state
        )?;
    }
    Ok(())
}

/// Which store `list` read and how many messages it holds, for stderr.
pub fn directory(err: &mut dyn Write, dir: &std::path::Path, listing: &Listing) -> io::Result<()> {
    let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let exists = if dir.is_dir() {
        ""
    } else {
        " (does not exist yet)"
    };
    writeln!(
        err,
        "quarantine {}{exists}: {} held",
        field(&shown.display().to_string()),
        listing.entries.len()
    )
}

/// The entries `list` left out, for stderr (stdout stays one row per usable entry).
pub fn skipped(err: &mut dyn Write, listing: &Listing) -> io::Result<()> {
    if listing.skipped.is_empty() {
        return Ok(());
    }
    for s in &listing.skipped {
        let path = s.path.display().to_string();
        writeln!(err, "skipped {}: {}", field(&path), s.reason.describe())?;
    }
    writeln!(
        err,
        "{} quarantine entries skipped, {} listed",
        listing.skipped.len(),
        listing.entries.len()
    )
}

/// Metadata, a blank line, then the message with every control character escaped (its CRLF
/// lines printed as lines). `id` is the validated id the operator asked for.
pub fn show(out: &mut dyn Write, id: &str, m: &Meta, body: &[u8]) -> io::Result<()> {
    writeln!(out, "id: {id}")?;
    writeln!(out, "time: {}", crate::headers::iso8601_utc(m.time))?;
    writeln!(out, "reference: {}", field(&m.reference))?;
    writeln!(out, "client: {} ({})", field(&m.client_ip), field(&m.helo))?;
    writeln!(out, "from: {}", field(&m.mail_from))?;
    writeln!(out, "to: {}", field(&m.rcpt_to.join(", ")))?;
    writeln!(out, "score: {:.1}", m.score)?;
    writeln!(out, "tests: {}", field(&m.tests))?;
    writeln!(out, "subject: {}", field(&m.subject))?;
    writeln!(out)?;
    out.write_all(message(body).as_bytes())
}

/// `show --raw`: the message exactly as it would be relayed, and nothing else.
pub fn show_raw(out: &mut dyn Write, body: &[u8]) -> io::Result<()> {
    out.write_all(body)
}

#[cfg(test)]
mod tests {
    use super::super::tests::meta;
    use super::*;
    use crate::terminal::assert_terminal_safe;
    use std::path::PathBuf;

    /// What a remote sender controls: every text field, with ANSI/OSC escapes, a forged row
    /// (line break then tab-separated columns), C1 CSI, DEL and a bidi override.
    fn hostile() -> Meta {
        let evil =
            "\x1b]0;owned\x07\x1b[31mred\r\n0-0\t0\tscore=0.0\tFAKE\u{9b}2J\x7f\u{202e}gnp.exe";
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
}
