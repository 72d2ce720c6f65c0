//! Stored mail as the offline commands (`moat scan`, `moat learn`, `moat rules fit`) read
//! it: a message file, a directory of them, a Maildir (`cur/` and `new/`, never the
//! Dovecot index and state files beside them) or an mbox file (one message per `From `
//! line). One place decides, so the commands cannot disagree about what a message is.

use std::path::{Path, PathBuf};

/// Message files under the given paths: a file is itself; a Maildir (a directory with `cur`
/// or `new`) is the files in both; any other directory is its files (not recursive).
pub fn message_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let dirs = if is_maildir(p) {
            vec![p.join("cur"), p.join("new")]
        } else {
            vec![p.clone()]
        };
        for d in dirs.iter().filter(|d| d.is_dir()) {
            let mut found: Vec<PathBuf> = std::fs::read_dir(d)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .collect();
            found.sort();
            out.extend(found);
        }
    }
    Ok(out)
}

/// A Maildir has `cur/` or `new/`; its other files (`dovecot.index*`, `dovecot-uidlist`,
/// `maildirfolder`, `tmp/`) are not messages.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// One message read from a file: `index` is its 1-based position in an mbox file, `None`
/// for a file that is one message.
pub struct Stored {
    pub index: Option<usize>,
    pub raw: Vec<u8>,
}

/// The messages in one file's bytes. A file whose first line is an mbox `From ` line is an
/// mbox: split at every `From ` line (which is dropped), `>From ` unquoted as mboxrd
/// readers do. Anything else is one message, kept byte for byte.
pub fn messages(bytes: Vec<u8>) -> Vec<Stored> {
    if !bytes.starts_with(b"From ") {
        return vec![Stored {
            index: None,
            raw: bytes,
        }];
    }
    split_mbox(&bytes)
        .into_iter()
        .enumerate()
        .map(|(i, raw)| Stored {
            index: Some(i + 1),
            raw,
        })
        .collect()
}

/// Splits an mbox (which starts with a `From ` line) into messages.
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            out.extend(current.take().map(drop_separator_line));
            current = Some(Vec::new());
            continue;
        }
        let msg = current.get_or_insert_with(Vec::new);
        msg.extend_from_slice(unquote_from(line));
    }
    out.extend(current.map(drop_separator_line));
    out
}

/// mboxrd: `>From `, `>>From ` … lose one `>` (writers added it to every such line).
fn unquote_from(line: &[u8]) -> &[u8] {
    let quotes = line.iter().take_while(|b| **b == b'>').count();
    if quotes > 0 && line[quotes..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    }
}

/// The empty line an mbox writer puts before the next `From ` line belongs to the format,
/// not to the message.
fn drop_separator_line(mut msg: Vec<u8>) -> Vec<u8> {
    for blank in [&b"\r\n"[..], b"\n"] {
        let doubled = [blank, blank].concat();
        if msg.ends_with(&doubled) {
            msg.truncate(msg.len() - blank.len());
            break;
        }
    }
    msg
}

#[cfg(test)]
mod tests;
