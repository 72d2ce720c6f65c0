//! The quarantine: a durable local store for messages the verdict holds back.
//!
//! Each message is one file `<dir>/held/<id>.msg`: a JSON line of metadata (envelope,
//! score, findings), then the message exactly as it would have been relayed. A store writes
//! `tmp/<id>`, fsyncs it, renames it into `held/` and fsyncs the directory before the client
//! gets its `250` — the same rule as the Maildir backend.
//!
//! Release relays exactly once: the file is first renamed into `releasing/` (and the
//! directory fsynced), then relayed, then deleted. A crash in between leaves it in
//! `releasing/`, where `list` shows it and `release` refuses to send it again blindly.
//!
//! Nothing read back is trusted (`entry`): an entry's id is its file name, only regular files
//! are opened, and a damaged or foreign entry is skipped — logged and counted — without
//! stopping `list` or retention, and so without failing the store of a new message.

mod entry;
pub mod metrics;
pub mod print;

/// The id of a store file name `<id>.msg` (for the console's index).
pub use entry::id_of_file_name as entry_id;
pub use entry::{MAX_ID_LEN, MAX_META_LINE, Skip, valid_id};

use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Written for the reader's convenience; when read back it must equal the file name's id
    /// and is never used to find or remove a file.
    pub id: String,
    /// Unix seconds when it was stored.
    pub time: u64,
    pub reference: String,
    pub client_ip: String,
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub score: f64,
    pub tests: String,
    pub subject: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Held,
    /// A release started and did not finish (crash or kill during the relay).
    Releasing,
}

/// One readable entry of the store.
#[derive(Debug)]
pub struct Entry {
    /// From the file name (already validated).
    pub id: String,
    pub state: State,
    /// Size of the file, from `fstat` of the file that was read.
    pub size: u64,
    pub meta: Meta,
    /// The file this entry was read from: retention removes exactly this one.
    path: PathBuf,
}

/// A file (or directory) `list` could not use, and why.
#[derive(Debug)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: Skip,
}

/// What `list` found: the usable entries, oldest first, and what it had to leave out.
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("quarantine {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("`{0}` is not a quarantine id (1 to 64 letters, digits and '-')")]
    InvalidId(String),
    #[error("no quarantined message `{0}`")]
    NotFound(String),
    #[error(
        "message `{0}` was being released when a previous release stopped; it may have been delivered — check the mailbox, then `delete` it or move it back to held/ by hand"
    )]
    Interrupted(String),
    #[error("quarantine file {path}: {}", reason.describe())]
    Unusable { path: String, reason: Skip },
}

pub struct Store {
    dir: PathBuf,
    max_age: Duration,
    max_size: u64,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

const DIRS: [(&str, State); 2] = [("held", State::Held), ("releasing", State::Releasing)];

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> QuarantineError + '_ {
    move |source| QuarantineError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn unusable(path: &Path) -> impl FnOnce(Skip) -> QuarantineError + '_ {
    move |reason| QuarantineError::Unusable {
        path: path.display().to_string(),
        reason,
    }
}

impl Store {
    pub fn new(config: &crate::config::policy::QuarantineConfig) -> Store {
        Store {
            dir: config.path.clone(),
            max_age: config.max_age,
            max_size: config.max_size,
        }
    }

    fn sub(&self, name: &str) -> Result<PathBuf, QuarantineError> {
        let p = self.dir.join(name);
        fs::create_dir_all(&p).map_err(io_err(&p))?;
        Ok(p)
    }

    /// A new unique id: time, process and a counter, so concurrent sessions never collide.
    pub fn new_id() -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}-{:05}-{}-{}",
            now.as_secs(),
            now.subsec_micros() / 10,
            std::process::id(),
            n
        )
    }

    /// Stores durably; returns once file and directory are on disk. Retention runs after,
    /// and nothing it meets can fail the store.
    pub fn store(&self, meta: &Meta, message: &[u8]) -> Result<(), QuarantineError> {
        if !valid_id(&meta.id) {
            return Err(QuarantineError::InvalidId(meta.id.clone()));
        }
        let tmp = self.sub("tmp")?.join(&meta.id);
        let held = self.sub("held")?;
        // create_new: never write through something already there (a planted symlink).
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        let mut line = serde_json::to_vec(meta).expect("metadata serialises");
        line.push(b'\n');
        f.write_all(&line)
            .and_then(|_| f.write_all(message))
            .and_then(|_| f.sync_all())
            .map_err(io_err(&tmp))?;
        let dest = held.join(format!("{}.msg", meta.id));
        fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
        sync_dir(&held)?;
        self.prune_keeping(Some(&meta.id));
        Ok(())
    }

    /// Every usable entry, oldest first, and every `*.msg` file that was skipped (each one
    /// logged and counted). Never fails: a directory that cannot be read is a skip too.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        for (name, state) in DIRS {
            let dir = self.dir.join(name);
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(_) => {
                    skipped(&mut listing.skipped, dir, Skip::Unreadable);
                    continue;
                }
            };
            for e in entries.flatten() {
                let name = e.file_name();
                if !name.as_encoded_bytes().ends_with(b".msg") {
                    continue; // not an entry (editor backup, NFS temp file …)
                }
                match read_entry(&e, state) {
                    Ok(entry) => listing.entries.push(entry),
                    Err(Skip::Vanished) => {}
                    Err(reason) => skipped(&mut listing.skipped, e.path(), reason),
                }
            }
        }
        listing
            .entries
            .sort_by(|a, b| (a.meta.time, &a.id).cmp(&(b.meta.time, &b.id)));
        listing
    }

    /// The file of a user-given id. The id is validated before it touches a path; the entry
    /// is found whatever its type (`delete` must be able to remove a planted FIFO), and the
    /// readers then open it with `entry::open_regular`.
    fn locate(&self, id: &str) -> Result<(PathBuf, State), QuarantineError> {
        if !valid_id(id) {
            return Err(QuarantineError::InvalidId(id.into()));
        }
        for (name, state) in DIRS {
            let p = self.dir.join(name).join(format!("{id}.msg"));
            if fs::symlink_metadata(&p).is_ok() {
                return Ok((p, state));
            }
        }
        Err(QuarantineError::NotFound(id.into()))
    }

    /// The directory of held entries, for an index that watches it (the web console).
    pub fn held_dir(&self) -> PathBuf {
        self.dir.join("held")
    }

    /// Metadata of one entry without its message: an index reads each file once, this far.
    pub fn meta(&self, id: &str) -> Result<Meta, QuarantineError> {
        let (path, _) = self.locate(id)?;
        let file = entry::open_regular(&path).map_err(unusable(&path))?;
        entry::read_meta(&file, id).map_err(unusable(&path))
    }

    /// Metadata and message of one entry.
    pub fn show(&self, id: &str) -> Result<(Meta, Vec<u8>), QuarantineError> {
        let (path, _) = self.locate(id)?;
        read_path(&path, id)
    }

    /// Removes the entry's file (a symlink is removed, not what it points to).
    pub fn delete(&self, id: &str) -> Result<(), QuarantineError> {
        let (path, _) = self.locate(id)?;
        remove(&path, &self.dir)
    }

    /// Step 1 of a release: reads the entry (it must be usable — a damaged one stays where it
    /// is), then moves it into `releasing/` durably, so that no second release can send it
    /// too (of two concurrent releases only one rename succeeds). Returns what to relay.
    pub fn begin_release(&self, id: &str) -> Result<(Meta, Vec<u8>, PathBuf), QuarantineError> {
        let (path, state) = self.locate(id)?;
        if state == State::Releasing {
            return Err(QuarantineError::Interrupted(id.into()));
        }
        let (meta, message) = read_path(&path, id)?;
        let dir = self.sub("releasing")?;
        let dest = dir.join(format!("{id}.msg"));
        fs::rename(&path, &dest).map_err(io_err(&dest))?;
        sync_dir(&dir)?;
        sync_dir(path.parent().unwrap_or(&self.dir))?;
        Ok((meta, message, dest))
    }

    /// Step 2: the backend took it — forget it. Or it refused — put it back into `held/`.
    pub fn finish_release(&self, releasing: &Path, delivered: bool) -> Result<(), QuarantineError> {
        if delivered {
            fs::remove_file(releasing).map_err(io_err(releasing))?;
        } else {
            let held = self.sub("held")?;
            let back = held.join(releasing.file_name().unwrap_or_default());
            fs::rename(releasing, &back).map_err(io_err(&back))?;
            sync_dir(&held)?;
        }
        sync_dir(releasing.parent().unwrap_or(&self.dir))
    }

    /// Retention: drops held entries older than `max_age`, then the oldest ones while the
    /// store is larger than `max_size`. Only usable entries count and only they are removed,
    /// each by the path it was read from; a removal that fails is logged and skipped. Returns
    /// how many were removed.
    pub fn prune(&self) -> usize {
        self.prune_keeping(None)
    }

    /// `prune`, never removing `keep`: the message just stored was promised to the client
    /// (`250`), even when it alone is larger than `max_size`.
    fn prune_keeping(&self, keep: Option<&str>) -> usize {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let held: Vec<Entry> = self
            .list()
            .entries
            .into_iter()
            .filter(|e| e.state == State::Held)
            .collect();
        let mut total: u64 = held.iter().map(|e| e.size).sum();
        let mut kept = held.len();
        let mut removed = 0;
        for e in &held {
            let too_old = now.saturating_sub(e.meta.time) > self.max_age.as_secs();
            if !too_old && total <= self.max_size {
                break; // oldest first: everything after is newer and fits
            }
            if keep == Some(e.id.as_str()) {
                continue;
            }
            match remove(&e.path, &self.dir) {
                Ok(()) => {
                    tracing::info!(id = %e.id, "quarantine retention removed a message");
                    total -= e.size;
                    kept -= 1;
                    removed += 1;
                }
                // Another pass (a concurrent session's) removed it first.
                Err(QuarantineError::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound =>
                {
                    total -= e.size;
                    kept -= 1;
                }
                Err(err) => {
                    tracing::warn!(id = %e.id, error = %err, "quarantine retention could not remove a message");
                    metrics::skipped(Skip::DeleteFailed);
                }
            }
        }
        crate::metrics::quarantine_size(kept as u64, total);
        removed
    }
}

/// A listing's view of one directory entry: its name must be an id, its type (from the
/// directory, not following links) a regular file, and its metadata readable and its own.
fn read_entry(e: &fs::DirEntry, state: State) -> Result<Entry, Skip> {
    let name = e.file_name();
    let id = entry::id_of_file_name(&name).ok_or(Skip::BadName)?;
    if !e.file_type().map_err(|_| Skip::Unreadable)?.is_file() {
        return Err(Skip::NotRegularFile);
    }
    let path = e.path();
    let file = entry::open_regular(&path)?;
    let size = file.metadata().map_err(|_| Skip::Unreadable)?.len();
    let meta = entry::read_meta(&file, id)?;
    Ok(Entry {
        id: id.to_string(),
        state,
        size,
        meta,
        path,
    })
}

/// One skipped entry: a log line, a metric, and a row for the caller to report.
fn skipped(out: &mut Vec<Skipped>, path: PathBuf, reason: Skip) {
    tracing::warn!(path = ?path, reason = reason.as_str(), "quarantine entry skipped");
    metrics::skipped(reason);
    out.push(Skipped { path, reason });
}

fn read_path(path: &Path, id: &str) -> Result<(Meta, Vec<u8>), QuarantineError> {
    let file = entry::open_regular(path).map_err(unusable(path))?;
    entry::read_full(&file, id).map_err(unusable(path))
}

/// Removes one directory entry and makes the removal durable.
fn remove(path: &Path, root: &Path) -> Result<(), QuarantineError> {
    fs::remove_file(path).map_err(io_err(path))?;
    sync_dir(path.parent().unwrap_or(root))
}

/// The Subject line of a stored message, for `list`.
pub fn subject_of(message: &[u8]) -> String {
    let parsed = mail_parser::MessageParser::default().parse_headers(message);
    parsed
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

fn sync_dir(dir: &Path) -> Result<(), QuarantineError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests;
