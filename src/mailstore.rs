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
mod tests {
    use super::*;

    fn raws(text: &str) -> Vec<(Option<usize>, String)> {
        messages(text.as_bytes().to_vec())
            .into_iter()
            .map(|m| (m.index, String::from_utf8(m.raw).unwrap()))
            .collect()
    }

    #[test]
    fn mbox_splits_at_from_lines_and_unquotes_mboxrd() {
        let mbox = "From a@x.test Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From here\n>>From there\n\n\
                    From b@x.test Mon Jan  1 00:00:01 2024\nSubject: two\n\n> quoted\n";
        let got = raws(mbox);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0],
            (
                Some(1),
                "Subject: one\n\nbody\nFrom here\n>From there\n".into()
            )
        );
        assert_eq!(got[1], (Some(2), "Subject: two\n\n> quoted\n".into()));
    }

    #[test]
    fn file_without_from_line_is_one_message_byte_for_byte() {
        let text = "Subject: s\r\n\r\nFrom the start\r\n>From x\r\n";
        assert_eq!(raws(text), vec![(None, text.to_string())]);
    }

    #[test]
    fn mbox_with_crlf_drops_only_the_separator_line() {
        let got = raws("From a\r\nSubject: a\r\n\r\nx\r\n\r\nFrom b\r\nSubject: b\r\n\r\ny\r\n");
        assert_eq!(got[0].1, "Subject: a\r\n\r\nx\r\n");
        assert_eq!(got[1].1, "Subject: b\r\n\r\ny\r\n");
    }

    #[test]
    fn maildir_is_cur_and_new_not_dovecot_index_files() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(md.join(sub)).unwrap();
        }
        for f in [
            "dovecot.index",
            "dovecot.index.log",
            "dovecot-uidlist",
            "maildirfolder",
        ] {
            std::fs::write(md.join(f), "x").unwrap();
        }
        std::fs::write(md.join("cur/1.host:2,S"), "Subject: a\n\n").unwrap();
        std::fs::write(md.join("new/2.host"), "Subject: b\n\n").unwrap();
        std::fs::write(md.join("tmp/3.host"), "partial").unwrap();
        let files = message_files(std::slice::from_ref(&md)).unwrap();
        assert_eq!(
            files,
            vec![md.join("cur/1.host:2,S"), md.join("new/2.host")]
        );
    }
}
