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

use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
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

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("quarantine {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("no quarantined message `{0}`")]
    NotFound(String),
    #[error(
        "message `{0}` was being released when a previous release stopped; it may have been delivered — check the mailbox, then `delete` it or move it back to held/ by hand"
    )]
    Interrupted(String),
    #[error("quarantine file {0} is damaged")]
    Damaged(String),
}

pub struct Store {
    dir: PathBuf,
    max_age: Duration,
    max_size: u64,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> QuarantineError + '_ {
    move |source| QuarantineError::Io {
        path: path.display().to_string(),
        source,
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

    /// Stores durably; returns once file and directory are on disk.
    pub fn store(&self, meta: &Meta, message: &[u8]) -> Result<(), QuarantineError> {
        let tmp = self.sub("tmp")?.join(&meta.id);
        let held = self.sub("held")?;
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut line = serde_json::to_vec(meta).expect("metadata serialises");
        line.push(b'\n');
        f.write_all(&line)
            .and_then(|_| f.write_all(message))
            .and_then(|_| f.sync_all())
            .map_err(io_err(&tmp))?;
        let dest = held.join(format!("{}.msg", meta.id));
        fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
        sync_dir(&held)?;
        if let Err(e) = self.prune() {
            tracing::warn!(error = %e, "quarantine retention failed");
        }
        Ok(())
    }

    /// Everything in the store, oldest first.
    pub fn list(&self) -> Result<Vec<(Meta, State, u64)>, QuarantineError> {
        let mut out = Vec::new();
        for (name, state) in [("held", State::Held), ("releasing", State::Releasing)] {
            let dir = self.dir.join(name);
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "msg") {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    out.push((read_meta(&path)?, state, size));
                }
            }
        }
        out.sort_by(|a, b| (a.0.time, &a.0.id).cmp(&(b.0.time, &b.0.id)));
        Ok(out)
    }

    fn path(&self, id: &str) -> Result<(PathBuf, State), QuarantineError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(QuarantineError::NotFound(id.into()));
        }
        for (name, state) in [("held", State::Held), ("releasing", State::Releasing)] {
            let p = self.dir.join(name).join(format!("{id}.msg"));
            if p.exists() {
                return Ok((p, state));
            }
        }
        Err(QuarantineError::NotFound(id.into()))
    }

    /// Metadata and message of one entry.
    pub fn show(&self, id: &str) -> Result<(Meta, Vec<u8>), QuarantineError> {
        let (path, _) = self.path(id)?;
        read_full(&path)
    }

    pub fn delete(&self, id: &str) -> Result<(), QuarantineError> {
        let (path, _) = self.path(id)?;
        fs::remove_file(&path).map_err(io_err(&path))?;
        sync_dir(path.parent().unwrap_or(&self.dir))
    }

    /// Step 1 of a release: moves the entry into `releasing/` durably, so that no second
    /// release can send it too. Returns what to relay.
    pub fn begin_release(&self, id: &str) -> Result<(Meta, Vec<u8>, PathBuf), QuarantineError> {
        let (path, state) = self.path(id)?;
        if state == State::Releasing {
            return Err(QuarantineError::Interrupted(id.into()));
        }
        let dir = self.sub("releasing")?;
        let dest = dir.join(format!("{id}.msg"));
        fs::rename(&path, &dest).map_err(io_err(&dest))?;
        sync_dir(&dir)?;
        sync_dir(path.parent().unwrap_or(&self.dir))?;
        let (meta, message) = read_full(&dest)?;
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
    /// store is larger than `max_size`. Returns how many were removed.
    pub fn prune(&self) -> Result<usize, QuarantineError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut held: Vec<_> = self
            .list()?
            .into_iter()
            .filter(|(_, s, _)| *s == State::Held)
            .collect();
        let mut total: u64 = held.iter().map(|(_, _, size)| size).sum();
        let count = held.len();
        let mut removed = 0;
        held.reverse(); // newest first; pop() yields the oldest
        while let Some((meta, _, size)) = held.pop() {
            let too_old = now.saturating_sub(meta.time) > self.max_age.as_secs();
            if !too_old && total <= self.max_size {
                break;
            }
            self.delete(&meta.id)?;
            tracing::info!(id = %meta.id, "quarantine retention removed a message");
            total -= size;
            removed += 1;
        }
        crate::metrics::quarantine_size((count - removed) as u64, total);
        Ok(removed)
    }
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

fn read_meta(path: &Path) -> Result<Meta, QuarantineError> {
    let f = File::open(path).map_err(io_err(path))?;
    let mut line = String::new();
    BufReader::new(f)
        .read_line(&mut line)
        .map_err(io_err(path))?;
    serde_json::from_str(&line).map_err(|_| QuarantineError::Damaged(path.display().to_string()))
}

fn read_full(path: &Path) -> Result<(Meta, Vec<u8>), QuarantineError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(path))?;
    let nl = memchr::memchr(b'\n', &bytes)
        .ok_or_else(|| QuarantineError::Damaged(path.display().to_string()))?;
    let meta = serde_json::from_slice(&bytes[..nl])
        .map_err(|_| QuarantineError::Damaged(path.display().to_string()))?;
    Ok((meta, bytes[nl + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::QuarantineConfig;

    fn store(dir: &Path, max_size: u64) -> Store {
        Store::new(&QuarantineConfig {
            path: dir.to_path_buf(),
            max_age: Duration::from_secs(3600),
            max_size,
        })
    }

    fn meta(id: &str, time: u64) -> Meta {
        Meta {
            id: id.into(),
            time,
            reference: "R".into(),
            client_ip: "192.0.2.1".into(),
            helo: "h".into(),
            mail_from: "a@b.test".into(),
            rcpt_to: vec!["u@example.test".into()],
            score: 12.0,
            tests: "X".into(),
            subject: "s".into(),
        }
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn quarantine_store_show_and_release_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("a-1", now()), b"Subject: s\r\n\r\nbody\r\n")
            .unwrap();
        let (m, body) = s.show("a-1").unwrap();
        assert_eq!(m.rcpt_to, ["u@example.test"]);
        assert_eq!(body, b"Subject: s\r\n\r\nbody\r\n");
        let (_, _, releasing) = s.begin_release("a-1").unwrap();
        // A second release while the first is under way (or after it crashed) is refused.
        assert!(matches!(
            s.begin_release("a-1"),
            Err(QuarantineError::Interrupted(_))
        ));
        s.finish_release(&releasing, true).unwrap();
        assert!(matches!(s.show("a-1"), Err(QuarantineError::NotFound(_))));
        assert!(s.list().unwrap().is_empty());
    }

    #[test]
    fn failed_release_puts_the_message_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("b-1", now()), b"x\r\n").unwrap();
        let (_, _, releasing) = s.begin_release("b-1").unwrap();
        s.finish_release(&releasing, false).unwrap();
        assert_eq!(s.list().unwrap()[0].1, State::Held);
    }

    #[test]
    fn retention_drops_old_then_oldest_over_size() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("old", now() - 7200), b"x\r\n").unwrap();
        assert!(s.list().unwrap().is_empty(), "older than max_age: removed");
        let small = store(dir.path(), 700);
        small.store(&meta("n-1", now() - 10), &[b'x'; 300]).unwrap();
        small.store(&meta("n-2", now()), &[b'y'; 300]).unwrap();
        let ids: Vec<String> = small
            .list()
            .unwrap()
            .into_iter()
            .map(|(m, _, _)| m.id)
            .collect();
        assert_eq!(ids, ["n-2"]);
    }

    #[test]
    fn ids_with_path_characters_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            store(dir.path(), 1).show("../x"),
            Err(QuarantineError::NotFound(_))
        ));
    }
}
