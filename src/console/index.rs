//! The quarantine index: every held message's metadata in memory, newest first, so that a
//! list page with filters is a scan of a vector, never of the directory (100,000 entries is
//! ~30 MB and a few milliseconds per filtered page).
//!
//! It is kept current by `refresh`, which lists the held directory's names (no file is
//! opened unless its name is new) and reads only new entries' metadata line; the console
//! runs it every few seconds off the async threads, and drops entries at once when it
//! releases or deletes them.

use crate::store::quarantine::{Meta, Store};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// One held message as the list shows it; lower-cased copies for the filters.
#[derive(Debug)]
pub struct Row {
    pub meta: Meta,
    pub from_lc: String,
    pub subject_lc: String,
    pub rcpt_lc: Vec<String>,
}

impl Row {
    pub fn new(meta: Meta) -> Row {
        Row {
            from_lc: meta.mail_from.to_lowercase(),
            subject_lc: meta.subject.to_lowercase(),
            rcpt_lc: meta.rcpt_to.iter().map(|r| r.to_lowercase()).collect(),
            meta,
        }
    }

    /// Whether `user` (a lower-case address) is one of its recipients.
    pub fn addressed_to(&self, user: &str) -> bool {
        self.rcpt_lc.iter().any(|r| r == user)
    }
}

/// The list's filters, each optional; text filters are case-insensitive substrings.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub text: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub finding: String,
    pub min_score: Option<f64>,
    /// Unix seconds, inclusive range.
    pub since: Option<u64>,
    pub until: Option<u64>,
    /// A recipient's own view: only rows addressed to this address.
    pub only_for: Option<String>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.text.is_empty()
            && self.sender.is_empty()
            && self.recipient.is_empty()
            && self.subject.is_empty()
            && self.finding.is_empty()
            && self.min_score.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.only_for.is_none()
    }

    /// The filter with its substrings prepared once for the scan (memchr's SIMD finders).
    fn compile(&self) -> Compiled<'_> {
        fn finder(s: &str) -> Option<memmem::Finder<'_>> {
            (!s.is_empty()).then(|| memmem::Finder::new(s.as_bytes()))
        }
        Compiled {
            f: self,
            text: finder(&self.text),
            sender: finder(&self.sender),
            recipient: finder(&self.recipient),
            subject: finder(&self.subject),
        }
    }
}

use memchr::memmem;

struct Compiled<'a> {
    f: &'a Filter,
    text: Option<memmem::Finder<'a>>,
    sender: Option<memmem::Finder<'a>>,
    recipient: Option<memmem::Finder<'a>>,
    subject: Option<memmem::Finder<'a>>,
}

impl Compiled<'_> {
    fn matches(&self, r: &Row) -> bool {
        let has = |finder: &Option<memmem::Finder>, hay: &str| {
            finder
                .as_ref()
                .is_none_or(|f| f.find(hay.as_bytes()).is_some())
        };
        let any_rcpt = |finder: &memmem::Finder| {
            r.rcpt_lc
                .iter()
                .any(|x| finder.find(x.as_bytes()).is_some())
        };
        let f = self.f;
        f.only_for.as_deref().is_none_or(|u| r.addressed_to(u))
            && f.min_score.is_none_or(|s| r.meta.score >= s)
            && f.since.is_none_or(|s| r.meta.time >= s)
            && f.until.is_none_or(|u| r.meta.time <= u)
            && has(&self.sender, &r.from_lc)
            && has(&self.subject, &r.subject_lc)
            && self.recipient.as_ref().is_none_or(any_rcpt)
            && (f.finding.is_empty()
                || r.meta
                    .tests
                    .split(',')
                    .any(|t| t.eq_ignore_ascii_case(&f.finding)))
            && self.text.as_ref().is_none_or(|t| {
                t.find(r.subject_lc.as_bytes()).is_some()
                    || t.find(r.from_lc.as_bytes()).is_some()
                    || any_rcpt(t)
                    || t.find(r.meta.id.as_bytes()).is_some()
            })
    }
}

/// One page of a filtered listing, and how many rows matched in all.
pub struct Page {
    pub rows: Vec<Arc<Row>>,
    pub total: usize,
}

#[derive(Default)]
pub struct Index {
    /// Newest first.
    rows: RwLock<Vec<Arc<Row>>>,
    /// The held directory's modification time at the last refresh: an unchanged directory
    /// (no entry added, renamed or removed) is not listed again — 100,000 names every 2 s
    /// would otherwise cost a few percent of a core.
    seen: std::sync::Mutex<Option<std::time::SystemTime>>,
}

impl Index {
    pub fn page(&self, filter: &Filter, offset: usize, size: usize) -> Page {
        let rows = self.rows.read().expect("index lock");
        // No filter (an admin's plain list, the common page): a slice, no scan.
        if filter.is_empty() {
            let end = offset.saturating_add(size).min(rows.len());
            return Page {
                rows: rows.get(offset..end).unwrap_or_default().to_vec(),
                total: rows.len(),
            };
        }
        let compiled = filter.compile();
        let mut total = 0;
        let mut out = Vec::with_capacity(size);
        for r in rows.iter().filter(|r| compiled.matches(r)) {
            if total >= offset && out.len() < size {
                out.push(r.clone());
            }
            total += 1;
        }
        Page { rows: out, total }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Row>> {
        let rows = self.rows.read().expect("index lock");
        rows.iter().find(|r| r.meta.id == id).cloned()
    }

    /// `f` over every row, newest first, without copying the list (the dashboard).
    pub fn with_rows<R>(&self, f: impl FnOnce(&[Arc<Row>]) -> R) -> R {
        f(&self.rows.read().expect("index lock"))
    }

    /// Every row (for digests).
    pub fn all(&self) -> Vec<Arc<Row>> {
        self.rows.read().expect("index lock").clone()
    }

    pub fn remove(&self, id: &str) {
        self.rows
            .write()
            .expect("index lock")
            .retain(|r| r.meta.id != id);
    }

    /// Brings the index up to date with the held directory: rows whose file is gone are
    /// dropped, new files' metadata read. Returns how many rows it holds.
    pub fn refresh(&self, store: &Store) -> usize {
        let held = store.held_dir();
        let mtime = std::fs::metadata(&held).and_then(|m| m.modified()).ok();
        {
            let mut seen = self.seen.lock().expect("index lock");
            // Timestamps are coarse (a clock tick): a directory changed within the last
            // second is listed again, so two changes in one tick are never missed.
            let settled = mtime
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(1));
            if settled && *seen == mtime {
                return self.rows.read().expect("index lock").len();
            }
            *seen = mtime;
        }
        let names: HashSet<String> = match std::fs::read_dir(&held) {
            Ok(dir) => dir
                .flatten()
                .filter_map(|e| {
                    crate::store::quarantine::entry_id(&e.file_name()).map(str::to_string)
                })
                .collect(),
            Err(_) => HashSet::new(),
        };
        let known: HashSet<String> = {
            let rows = self.rows.read().expect("index lock");
            rows.iter().map(|r| r.meta.id.clone()).collect()
        };
        // Metadata is read without the lock held: a page never waits for the disk.
        let new: Vec<Arc<Row>> = names
            .iter()
            .filter(|n| !known.contains(*n))
            .filter_map(|id| store.meta(id).ok().map(|m| Arc::new(Row::new(m))))
            .collect();
        let mut rows = self.rows.write().expect("index lock");
        rows.retain(|r| names.contains(&r.meta.id));
        if !new.is_empty() {
            rows.extend(new);
            rows.sort_by(|a, b| (b.meta.time, &b.meta.id).cmp(&(a.meta.time, &a.meta.id)));
        }
        rows.len()
    }

    /// Rows built elsewhere (the bench), newest first.
    pub fn from_rows(mut rows: Vec<Row>) -> Index {
        rows.sort_by(|a, b| (b.meta.time, &b.meta.id).cmp(&(a.meta.time, &a.meta.id)));
        Index {
            rows: RwLock::new(rows.into_iter().map(Arc::new).collect()),
            seen: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests;
