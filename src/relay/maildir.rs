//! Local delivery into a Maildir tree, `<root>/<domain>/<local-part>/{tmp,new,cur}`, for
//! running Moat stand-alone (Dovecot or any Maildir reader can serve the result).
//!
//! Delivery is all-or-nothing across the recipients of a message: every copy is written to
//! `tmp/` and fsynced first; only then are they all renamed into `new/` and the `new/`
//! directories fsynced. `250` is returned only after that, so an accepted message survives a
//! crash, and an error leaves no copy behind (the client's retry cannot duplicate it).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::RelayError;
use crate::smtp::Reply;

/// Makes file names unique within this process even when the clock does not move.
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

/// Where to deliver; shared by all sessions.
#[derive(Debug)]
pub struct MaildirTarget {
    root: PathBuf,
    /// Moat's hostname with the characters that have a meaning in Maildir names escaped.
    hostname: String,
}

impl MaildirTarget {
    pub fn new(root: PathBuf, hostname: &str) -> MaildirTarget {
        // The Maildir convention escapes '/' and ':'; ',' is escaped too because Dovecot reads
        // `,S=` fields after the first comma.
        let mut escaped = String::with_capacity(hostname.len());
        for c in hostname.chars() {
            match c {
                '/' => escaped.push_str("\\057"),
                ':' => escaped.push_str("\\072"),
                ',' => escaped.push_str("\\054"),
                c if c.is_control() => {}
                c => escaped.push(c),
            }
        }
        if escaped.is_empty() {
            escaped.push_str("localhost");
        }
        MaildirTarget {
            root,
            hostname: escaped,
        }
    }
}

/// A recipient's mailbox: the path components below the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub domain: String,
    pub local: String,
}

/// Maps an address to its mailbox: split at the last `@`, both parts lowercased. `None` when
/// either part is not a safe single path component.
pub fn mailbox(address: &str) -> Option<Mailbox> {
    let (local, domain) = address.rsplit_once('@')?;
    let (local, domain) = (local.to_lowercase(), domain.to_lowercase());
    (safe_component(&local) && safe_component(&domain)).then_some(Mailbox { domain, local })
}

/// A component that names exactly one directory below its parent: no separators, no `.`/`..`
/// (nor any leading dot: hidden, and Maildir++ uses it for folders), no NUL or control
/// characters, not longer than file systems allow.
fn safe_component(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('.')
        && !s.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}

/// The transaction in progress: the distinct mailboxes accepted so far.
#[derive(Debug)]
pub struct MaildirSession {
    target: Arc<MaildirTarget>,
    recipients: Vec<Mailbox>,
}

impl MaildirSession {
    pub fn new(target: Arc<MaildirTarget>) -> MaildirSession {
        MaildirSession {
            target,
            recipients: Vec::new(),
        }
    }

    pub fn mail(&mut self) -> Reply {
        self.recipients.clear();
        Reply::status(250, 1, 0, "Sender OK")
    }

    pub fn rcpt(&mut self, to: &str) -> Reply {
        let Some(mb) = mailbox(to) else {
            return Reply::status(550, 1, 3, "Bad destination mailbox address");
        };
        // The same mailbox twice (e.g. differing only in case) gets one copy.
        if !self.recipients.contains(&mb) {
            self.recipients.push(mb);
        }
        Reply::status(250, 1, 5, "Recipient OK")
    }

    pub fn rset(&mut self) {
        self.recipients.clear();
    }

    /// Writes `headers` followed by `body`, unchanged, to every recipient's mailbox.
    pub async fn data(&mut self, headers: &[u8], body: &[u8]) -> Result<Reply, RelayError> {
        let recipients = std::mem::take(&mut self.recipients);
        if recipients.is_empty() {
            return Ok(Reply::status(554, 5, 1, "No valid recipients"));
        }
        let mut message = Vec::with_capacity(headers.len() + body.len());
        message.extend_from_slice(headers);
        message.extend_from_slice(body);
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || deliver(&target, &recipients, &message))
            .await
            .map_err(|e| RelayError::Maildir {
                path: self.target.root.clone(),
                source: io::Error::other(e),
            })??;
        Ok(Reply::status(250, 0, 0, "Message accepted for delivery"))
    }
}

/// One copy written to `tmp/`, waiting to be moved to `new/`.
struct Staged {
    tmp: PathBuf,
    new: PathBuf,
}

fn failed(path: &Path, source: io::Error) -> RelayError {
    tracing::error!(path = %path.display(), error = %source, "maildir delivery failed");
    RelayError::Maildir {
        path: path.to_path_buf(),
        source,
    }
}

/// Blocking: write and fsync every copy, then commit them all (see the module documentation).
fn deliver(
    target: &MaildirTarget,
    recipients: &[Mailbox],
    message: &[u8],
) -> Result<(), RelayError> {
    let mut staged: Vec<Staged> = Vec::with_capacity(recipients.len());
    for mb in recipients {
        let dir = target.root.join(&mb.domain).join(&mb.local);
        let name = unique_name(&target.hostname, message.len());
        let tmp = dir.join("tmp").join(&name);
        let written = ensure_maildir(&target.root, &dir).and_then(|()| write_synced(&tmp, message));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            remove_all(staged.iter().map(|s| &s.tmp));
            return Err(failed(&dir, e));
        }
        staged.push(Staged {
            tmp,
            new: dir.join("new").join(&name),
        });
    }
    if let Err((path, e)) = commit(&staged) {
        // Best effort back to "not delivered": a reader may already have moved a copy to cur/,
        // which is the only way this can duplicate.
        remove_all(staged.iter().flat_map(|s| [&s.new, &s.tmp]));
        return Err(failed(&path, e));
    }
    Ok(())
}

/// Renames every staged copy into `new/` and fsyncs those directories so that the renames
/// themselves are durable.
fn commit(staged: &[Staged]) -> Result<(), (PathBuf, io::Error)> {
    for s in staged {
        fs::rename(&s.tmp, &s.new).map_err(|e| (s.new.clone(), e))?;
    }
    for s in staged {
        let dir = s.new.parent().expect("new/ file has a parent");
        sync_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    }
    Ok(())
}

fn remove_all<'a>(paths: impl Iterator<Item = &'a PathBuf>) {
    for p in paths {
        let _ = fs::remove_file(p);
    }
}

/// Creates `tmp/`, `new/` and `cur/` when missing. A directory entry is durable only once its
/// parent is fsynced, so after creating anything the chain up to the root's parent is synced.
fn ensure_maildir(root: &Path, dir: &Path) -> io::Result<()> {
    const SUBDIRS: [&str; 3] = ["tmp", "new", "cur"];
    if SUBDIRS.iter().all(|s| dir.join(s).is_dir()) {
        return Ok(());
    }
    for s in SUBDIRS {
        fs::create_dir_all(dir.join(s))?;
    }
    let depth = dir.ancestors().count() - root.ancestors().count();
    for d in dir.ancestors().take(depth + 2) {
        if !d.as_os_str().is_empty() {
            sync_dir(d)?;
        }
    }
    Ok(())
}

fn write_synced(path: &Path, message: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(message)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// `<secs>.M<micros>P<pid>Q<n>.<host>,S=<size>`: the Maildir unique name, with the size field
/// Dovecot uses to avoid a stat per message.
fn unique_name(hostname: &str, size: usize) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = DELIVERIES.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}.M{}P{}Q{}.{},S={}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n,
        hostname,
        size
    )
}

#[cfg(test)]
mod tests;
