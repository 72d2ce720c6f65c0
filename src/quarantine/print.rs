//! What `moat quarantine list` and `show` print. Every value came from a remote sender (the
//! envelope, the decoded Subject, the message) or from a file in the store, so each goes
//! through `crate::terminal` on its way to the operator's terminal; only `show --raw` writes
//! the message's bytes as they are (for a file or a pipe, e.g. `moat scan`).

use super::{Entry, Listing, Meta, State};
use crate::terminal::{field, message};
use std::io::{self, Write};

/// One tab-separated row per entry: id, time, score, tests, envelope, size, subject (with
/// ` RELEASE-INTERRUPTED` for an entry left in `releasing/`). No value can contain a TAB or a
/// line break once escaped, so rows and columns are exactly what Moat wrote.
pub fn list(out: &mut dyn Write, entries: &[Entry]) -> io::Result<()> {
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
            m.time,
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
    writeln!(out, "time: {}", m.time)?;
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
