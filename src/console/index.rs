//! The quarantine index: every held message's metadata in memory, newest first, so that a
//! list page with filters is a scan of a vector, never of the directory (100,000 entries is
//! ~30 MB and a few milliseconds per filtered page).
//!
//! It is kept current by `refresh`, which lists the held directory's names (no file is
//! opened unless its name is new) and reads only new entries' metadata line; the console
//! runs it every few seconds off the async threads, and drops entries at once when it
//! releases or deletes them.

use crate::quarantine::{Meta, Store};
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
    fn matches(&self, r: &Row) -> bool {
        let has = |hay: &str, needle: &str| needle.is_empty() || hay.contains(needle);
        self.only_for.as_deref().is_none_or(|u| r.addressed_to(u))
            && has(&r.from_lc, &self.sender)
            && (self.recipient.is_empty() || r.rcpt_lc.iter().any(|x| x.contains(&self.recipient)))
            && has(&r.subject_lc, &self.subject)
            && (self.finding.is_empty()
                || r.meta
                    .tests
                    .split(',')
                    .any(|t| t.eq_ignore_ascii_case(&self.finding)))
            && self.min_score.is_none_or(|s| r.meta.score >= s)
            && self.since.is_none_or(|s| r.meta.time >= s)
            && self.until.is_none_or(|u| r.meta.time <= u)
            && (self.text.is_empty()
                || r.subject_lc.contains(&self.text)
                || r.from_lc.contains(&self.text)
                || r.rcpt_lc.iter().any(|x| x.contains(&self.text))
                || r.meta.id.contains(&self.text))
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
        let mut total = 0;
        let mut out = Vec::with_capacity(size);
        for r in rows.iter().filter(|r| filter.matches(r)) {
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

    /// Every row (for digests and the dashboard).
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
                .filter_map(|e| crate::quarantine::entry_id(&e.file_name()).map(str::to_string))
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
mod tests {
    use super::*;

    fn meta(id: &str, time: u64, to: &str, subject: &str) -> Meta {
        Meta {
            id: id.into(),
            time,
            reference: "r".into(),
            client_ip: "192.0.2.1".into(),
            helo: "h".into(),
            mail_from: "x@spam.example".into(),
            rcpt_to: vec![to.into()],
            score: 7.5,
            tests: "A,B".into(),
            subject: subject.into(),
        }
    }

    #[test]
    fn console_recipient_filter_sees_only_own_rows() {
        let idx = Index::from_rows(vec![
            Row::new(meta("a-1", 1, "alice@example.test", "for Alice")),
            Row::new(meta("b-1", 2, "Bob@example.test", "for Bob")),
        ]);
        let f = Filter {
            only_for: Some("bob@example.test".into()),
            ..Default::default()
        };
        let page = idx.page(&f, 0, 10);
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0].meta.id, "b-1");
        let all = idx.page(&Filter::default(), 0, 10);
        assert_eq!(all.rows[0].meta.id, "b-1", "newest first");
        let f = Filter {
            subject: "alice".into(),
            finding: "b".into(),
            ..Default::default()
        };
        assert_eq!(idx.page(&f, 0, 10).total, 1);
    }
}
