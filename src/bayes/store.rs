//! The model file: compact, checked, atomically replaced.
//!
//! Layout (little-endian): magic `MOATBAY2`, spam count u32, ham count u32, token count u64,
//! seen count u64, then tokens (hash u64, spam u32, ham u32) and seen messages (hash u64,
//! class u8), then an FNV-1a 64 checksum of everything before it. A file whose length,
//! counts or checksum disagree is refused as a whole: a half-written or damaged model must
//! never classify.
//!
//! The magic's digit is the format version, bumped whenever the tokens change (a model of
//! other tokens would classify on counts that no longer mean anything): version 2 added the
//! Received: path tokens. An older model is refused with its own error that says to learn
//! again.

use super::model::{Class, Model};
use super::tokens::fnv1a;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"MOATBAY2";
/// Magics of older formats, whose tokens this version no longer makes.
const OLD_MAGICS: &[&[u8; 8]] = &[b"MOATBAY1"];
/// Why an older model is refused (the log line and `moat learn`'s error say it).
const OUTDATED: &str = "made by an older Moat whose tokens differ (format MOATBAY1, this \
                        version reads MOATBAY2); delete it and learn again";
const HEADER: usize = 8 + 4 + 4 + 8 + 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read the bayes model {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the bayes model {path} is corrupt ({why}); delete it and learn again")]
    Corrupt { path: String, why: String },
    #[error("the bayes model {path} is {OUTDATED}")]
    Outdated { path: String },
    #[error("cannot write the bayes model {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

pub fn encode(m: &Model) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + m.tokens.len() * 16 + m.seen.len() * 9 + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&m.nspam.to_le_bytes());
    out.extend_from_slice(&m.nham.to_le_bytes());
    out.extend_from_slice(&(m.tokens.len() as u64).to_le_bytes());
    out.extend_from_slice(&(m.seen.len() as u64).to_le_bytes());
    // Sorted, so the same model always gives the same bytes.
    let mut tokens: Vec<_> = m.tokens.iter().collect();
    tokens.sort_unstable_by_key(|(h, _)| **h);
    for (h, (s, n)) in tokens {
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
    }
    let mut seen: Vec<_> = m.seen.iter().collect();
    seen.sort_unstable_by_key(|(h, _)| **h);
    for (h, c) in seen {
        out.extend_from_slice(&h.to_le_bytes());
        out.push(if *c == Class::Spam { 1 } else { 0 });
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

pub fn decode(bytes: &[u8]) -> Result<Model, String> {
    if OLD_MAGICS.iter().any(|m| bytes.starts_with(*m)) {
        return Err(OUTDATED.into());
    }
    if bytes.len() < HEADER + 8 {
        return Err(format!("{} bytes is too short", bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err("not a Moat bayes model (bad magic)".into());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err("checksum mismatch: truncated or damaged".into());
    }
    let u32_at = |i: usize| u32::from_le_bytes(body[i..i + 4].try_into().expect("4 bytes"));
    let u64_at = |i: usize| u64::from_le_bytes(body[i..i + 8].try_into().expect("8 bytes"));
    let (ntokens, nseen) = (u64_at(16), u64_at(24));
    let expected = (ntokens as u128) * 16 + (nseen as u128) * 9 + HEADER as u128;
    if expected != body.len() as u128 {
        return Err(format!(
            "length {} does not match {ntokens} tokens and {nseen} messages",
            bytes.len()
        ));
    }
    let mut m = Model {
        nspam: u32_at(8),
        nham: u32_at(12),
        ..Model::default()
    };
    m.tokens.reserve(ntokens as usize);
    let mut i = HEADER;
    for _ in 0..ntokens {
        m.tokens.insert(u64_at(i), (u32_at(i + 8), u32_at(i + 12)));
        i += 16;
    }
    for _ in 0..nseen {
        let class = match body[i + 8] {
            1 => Class::Spam,
            0 => Class::Ham,
            b => return Err(format!("bad class byte {b}")),
        };
        m.seen.insert(u64_at(i), class);
        i += 9;
    }
    Ok(m)
}

/// Loads a model; a missing file is `Ok(None)` (nothing learned yet).
pub fn load(path: &Path) -> Result<Option<Model>, StoreError> {
    let p = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Read { path: p, source }),
    };
    if OLD_MAGICS.iter().any(|m| bytes.starts_with(*m)) {
        return Err(StoreError::Outdated { path: p });
    }
    decode(&bytes)
        .map(Some)
        .map_err(|why| StoreError::Corrupt { path: p, why })
}

/// Writes to a temporary file beside the target, syncs, then renames over it: readers see
/// the old model or the new one, never a mix.
pub fn save(path: &Path, m: &Model) -> Result<(), StoreError> {
    let err = |source| StoreError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = Path::new(&tmp_name);
    let mut f = std::fs::File::create(tmp).map_err(err)?;
    f.write_all(&encode(m)).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(tmp, path).map_err(err)
}

/// An advisory lock on `<model>.lock`, held by whoever is reading the model file to add to
/// it and write it back (`moat learn`, `--watch`, autolearn, the console and scan API's
/// learn actions): without it, two learners that read the same model each save their own
/// additions over the other's. Released when dropped (the lock file itself stays: removing
/// it would let a third learner lock a new file while the second still holds the old one).
#[derive(Debug)]
pub struct ModelLock {
    _file: std::fs::File,
}

/// The lock file beside a model file.
pub fn lock_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    name.into()
}

/// Opens the lock file, read-only when it exists: a lock file that `moat learn` created as
/// another user (root, beside a server running as `moat`) must still be lockable, and an
/// advisory lock needs no write access to the file.
fn open_lock_file(path: &Path) -> Result<std::fs::File, StoreError> {
    let lock = lock_path(path);
    let err = |source| StoreError::Write {
        path: lock.display().to_string(),
        source,
    };
    match std::fs::File::open(&lock) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(err),
        Err(e) => Err(err(e)),
    }
}

/// Waits for the model's lock (`waiting` is called once if another learner holds it).
pub fn lock(path: &Path, waiting: impl FnOnce()) -> Result<ModelLock, StoreError> {
    let file = open_lock_file(path)?;
    match file.try_lock() {
        Ok(()) => return Ok(ModelLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => waiting(),
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(StoreError::Write {
                path: lock_path(path).display().to_string(),
                source,
            });
        }
    }
    file.lock().map_err(|source| StoreError::Write {
        path: lock_path(path).display().to_string(),
        source,
    })?;
    Ok(ModelLock { _file: file })
}

/// The model's lock if nobody holds it now (`Ok(None)`: another learner does).
pub fn try_lock(path: &Path) -> Result<Option<ModelLock>, StoreError> {
    let file = open_lock_file(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ModelLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Write {
            path: lock_path(path).display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
