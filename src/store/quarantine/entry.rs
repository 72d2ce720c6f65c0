//! Reading one quarantine file without trusting it.
//!
//! Anything in the store's directories may be damaged (a full disk, a hand edit), planted, or
//! not a file at all. So: an entry's id is its file name, checked against [`valid_id`], and
//! never the `id` its metadata claims (which must match, or the entry is damaged); a file is
//! opened without following symlinks and without blocking (a FIFO would hang the reader — and
//! retention runs inside every quarantining SMTP transaction), then checked with `fstat` to be
//! a regular file; the metadata line is read up to [`MAX_META_LINE`] bytes and no further.

use super::Meta;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Longest id accepted: Moat's own ids (`Store::new_id`) are about 35 characters.
pub const MAX_ID_LEN: usize = 64;

/// The metadata JSON line is a few hundred bytes, plus one address per recipient; a longer
/// line is damage, not metadata.
pub const MAX_META_LINE: u64 = 64 * 1024;

/// An id is 1–64 ASCII letters, digits and `-`: no `/`, no `.`, so it can only ever name a
/// file inside the store's directories.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The id of a store file name `<id>.msg`; `None` for anything else.
pub fn id_of_file_name(name: &std::ffi::OsStr) -> Option<&str> {
    let id = name.to_str()?.strip_suffix(".msg")?;
    valid_id(id).then_some(id)
}

/// Why an entry was left out of a listing (and of retention). The names are metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `*.msg` whose name is not a valid id.
    BadName,
    /// A symlink, FIFO, socket, device or directory.
    NotRegularFile,
    /// Could not be opened or read (permissions, I/O error), or a directory not listable.
    Unreadable,
    /// No metadata line within `MAX_META_LINE`, or not valid metadata.
    Damaged,
    /// The metadata names another id than the file name.
    IdMismatch,
    /// Retention meant to remove it and could not.
    DeleteFailed,
    /// Gone between the directory listing and the open (a concurrent release or retention):
    /// not an entry any more, so neither logged nor counted.
    Vanished,
}

impl Skip {
    /// Every reason that is counted (all but `Vanished`).
    pub const ALL: [Skip; 6] = [
        Skip::BadName,
        Skip::NotRegularFile,
        Skip::Unreadable,
        Skip::Damaged,
        Skip::IdMismatch,
        Skip::DeleteFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::BadName => "bad_name",
            Skip::NotRegularFile => "not_regular_file",
            Skip::Unreadable => "unreadable",
            Skip::Damaged => "damaged",
            Skip::IdMismatch => "id_mismatch",
            Skip::DeleteFailed => "delete_failed",
            Skip::Vanished => "vanished",
        }
    }

    /// What the operator reads.
    pub fn describe(self) -> &'static str {
        match self {
            Skip::BadName => "file name is not a quarantine id",
            Skip::NotRegularFile => "not a regular file (symlink, FIFO, directory …)",
            Skip::Unreadable => "cannot be read",
            Skip::Damaged => "damaged metadata",
            Skip::IdMismatch => "metadata names a different id than the file",
            Skip::DeleteFailed => "retention could not remove it",
            Skip::Vanished => "removed while being read",
        }
    }
}

/// Opens `path` for reading only if it is a regular file: `O_NOFOLLOW` refuses a symlink
/// (`ELOOP`), `O_NONBLOCK` keeps a FIFO from blocking the open, and `fstat` on the open file
/// (not on the path, which could change in between) checks the type.
pub fn open_regular(path: &Path) -> Result<File, Skip> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match (e.kind(), e.raw_os_error()) {
            (_, Some(libc::ELOOP)) => Skip::NotRegularFile,
            (std::io::ErrorKind::NotFound, _) => Skip::Vanished,
            _ => Skip::Unreadable,
        })?;
    match file.metadata() {
        Ok(m) if m.file_type().is_file() => Ok(file),
        Ok(_) => Err(Skip::NotRegularFile),
        Err(_) => Err(Skip::Unreadable),
    }
}

/// The metadata line of an open entry, read up to `MAX_META_LINE` bytes; its id must be `id`.
pub fn read_meta(file: &File, id: &str) -> Result<Meta, Skip> {
    let mut line = Vec::new();
    BufReader::new(file.take(MAX_META_LINE + 1))
        .read_until(b'\n', &mut line)
        .map_err(|_| Skip::Unreadable)?;
    if line.pop() != Some(b'\n') {
        return Err(Skip::Damaged);
    }
    parse_meta(&line, id)
}

/// Metadata and message of an open entry whose id is `id`.
pub fn read_full(file: &File, id: &str) -> Result<(Meta, Vec<u8>), Skip> {
    let mut bytes = Vec::new();
    (&*file)
        .read_to_end(&mut bytes)
        .map_err(|_| Skip::Unreadable)?;
    let limit = bytes.len().min(MAX_META_LINE as usize + 1);
    let nl = memchr::memchr(b'\n', &bytes[..limit]).ok_or(Skip::Damaged)?;
    let meta = parse_meta(&bytes[..nl], id)?;
    bytes.drain(..=nl);
    Ok((meta, bytes))
}

fn parse_meta(line: &[u8], id: &str) -> Result<Meta, Skip> {
    let meta: Meta = serde_json::from_slice(line).map_err(|_| Skip::Damaged)?;
    if meta.id != id {
        return Err(Skip::IdMismatch);
    }
    Ok(meta)
}

#[cfg(test)]
mod tests;
