//! What `moat quarantine list` and `show` print. Every value came from a remote sender (the
//! envelope, the decoded Subject, the message) or from a file in the store, so each goes
//! through `crate::cli::terminal` on its way to the operator's terminal; only `show --raw` writes
//! the message's bytes as they are (for a file or a pipe, e.g. `moat scan`).

use super::{Entry, Listing, Meta, State};
use crate::cli::terminal::{field, message};
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
            crate::message::headers::iso8601_utc(m.time),
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
    writeln!(
        out,
        "time: {}",
        crate::message::headers::iso8601_utc(m.time)
    )?;
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
mod tests;
