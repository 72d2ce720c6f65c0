//! The store's own tests: durability and release-once, retention, and every way a file in the
//! store can be hostile or broken (damaged, planted id, FIFO, symlink, bad name).

use super::*;
use crate::config::policy::QuarantineConfig;
use std::sync::mpsc;

fn store(dir: &Path, max_size: u64) -> Store {
    Store::new(&QuarantineConfig {
        path: dir.to_path_buf(),
        max_age: Duration::from_secs(3600),
        max_size,
    })
}

pub(super) fn meta(id: &str, time: u64) -> Meta {
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

/// Writes `bytes` as `held/<name>` directly, as a damaged or planted file would be.
fn plant(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let held = dir.join("held");
    fs::create_dir_all(&held).unwrap();
    let path = held.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// An entry file as Moat writes it, with `meta.id` possibly lying about the name.
fn entry_bytes(meta: &Meta, message: &[u8]) -> Vec<u8> {
    let mut b = serde_json::to_vec(meta).unwrap();
    b.push(b'\n');
    b.extend_from_slice(message);
    b
}

/// The ids listed, sorted by name: which entries are there, whatever second each was stored in.
fn ids(s: &Store) -> Vec<String> {
    let mut ids: Vec<String> = s.list().entries.into_iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

fn reasons(l: &Listing) -> Vec<Skip> {
    let mut r: Vec<Skip> = l.skipped.iter().map(|s| s.reason).collect();
    r.sort_by_key(|s| s.as_str());
    r
}

/// Runs `f` on another thread and fails the test, instead of hanging it, if `f` blocks.
fn within_deadline<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the quarantine blocked (opened a FIFO?)")
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
    assert!(s.list().entries.is_empty());
}

#[test]
fn failed_release_puts_the_message_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    s.store(&meta("b-1", now()), b"x\r\n").unwrap();
    let (_, _, releasing) = s.begin_release("b-1").unwrap();
    s.finish_release(&releasing, false).unwrap();
    assert_eq!(s.list().entries[0].state, State::Held);
}

#[test]
fn retention_drops_old_then_oldest_over_size() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    plant(
        dir.path(),
        "old.msg",
        &entry_bytes(&meta("old", now() - 7200), b"x\r\n"),
    );
    assert_eq!(s.prune(), 1, "older than max_age: removed");
    assert!(s.list().entries.is_empty());
    let small = store(dir.path(), 700);
    small.store(&meta("n-1", now() - 10), &[b'x'; 300]).unwrap();
    small.store(&meta("n-2", now()), &[b'y'; 300]).unwrap();
    assert_eq!(ids(&small), ["n-2"]);
}

#[test]
fn retention_never_removes_the_message_just_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 10);
    s.store(&meta("big-1", now()), &[b'x'; 1000]).unwrap();
    assert_eq!(ids(&s), ["big-1"], "the client was told 250");
    s.store(&meta("big-2", now()), &[b'x'; 1000]).unwrap();
    assert_eq!(ids(&s), ["big-2"], "the older one goes");
}

#[test]
fn quarantine_ids_are_validated_everywhere_a_user_passes_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    // A real file one level up, which `../victim` would name.
    fs::create_dir_all(dir.path().join("held")).unwrap();
    fs::write(dir.path().join("victim.msg"), b"keep").unwrap();
    let long = "x".repeat(MAX_ID_LEN + 1);
    for bad in ["../victim", "", "a/b", ".", "held/../x", long.as_str()] {
        let invalid = |r: Result<(), QuarantineError>| {
            assert!(
                matches!(r, Err(QuarantineError::InvalidId(_))),
                "{bad:?}: {r:?}"
            )
        };
        invalid(s.show(bad).map(drop));
        invalid(s.delete(bad));
        invalid(s.begin_release(bad).map(drop));
        invalid(s.store(&meta(bad, now()), b"x"));
    }
    assert_eq!(fs::read(dir.path().join("victim.msg")).unwrap(), b"keep");
}

#[test]
fn quarantine_list_skips_damaged_entries_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    s.store(&meta("good-1", now()), b"x\r\n").unwrap();
    plant(dir.path(), "json-1.msg", b"{not json\nSubject: x\r\n");
    plant(dir.path(), "nonl-1.msg", br#"{"id":"nonl-1"}"#);
    // No newline within the bound: read no further than MAX_META_LINE.
    plant(
        dir.path(),
        "long-1.msg",
        &vec![b' '; MAX_META_LINE as usize + 10],
    );
    let mut huge = meta("huge-1", now());
    huge.tests = "T".repeat(MAX_META_LINE as usize);
    plant(dir.path(), "huge-1.msg", &entry_bytes(&huge, b"x"));
    plant(
        dir.path(),
        "bad.name.msg",
        &entry_bytes(&meta("x", now()), b"x"),
    );
    plant(dir.path(), "notes.txt", b"not an entry: ignored");

    let listing = s.list();
    assert_eq!(ids(&s), ["good-1"], "the good entry is still listed");
    assert_eq!(
        reasons(&listing),
        [
            Skip::BadName,
            Skip::Damaged,
            Skip::Damaged,
            Skip::Damaged,
            Skip::Damaged
        ]
    );
    assert!(matches!(
        s.show("json-1"),
        Err(QuarantineError::Unusable {
            reason: Skip::Damaged,
            ..
        })
    ));
    // A damaged entry is not released, and stays where it is.
    assert!(s.begin_release("nonl-1").is_err());
    assert!(dir.path().join("held/nonl-1.msg").exists());
    // The operator can remove it.
    s.delete("json-1").unwrap();
    assert_eq!(s.list().skipped.len(), 4);
}

#[test]
fn quarantine_planted_id_never_removes_another_message() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    s.store(&meta("real-1", now()), b"real\r\n").unwrap();
    // An expired entry whose metadata claims to be real-1: retention used to remove real-1.
    plant(
        dir.path(),
        "plant-1.msg",
        &entry_bytes(&meta("real-1", now() - 7200), b"x"),
    );
    let before = metrics::skipped_count(Skip::IdMismatch);
    assert_eq!(s.prune(), 0);
    assert!(metrics::skipped_count(Skip::IdMismatch) > before);
    s.store(&meta("next-1", now()), b"next\r\n")
        .expect("retention never fails a store");
    assert_eq!(ids(&s), ["next-1", "real-1"]);
    assert_eq!(reasons(&s.list()), [Skip::IdMismatch]);
    assert!(matches!(
        s.show("plant-1"),
        Err(QuarantineError::Unusable {
            reason: Skip::IdMismatch,
            ..
        })
    ));
}

#[test]
fn quarantine_fifo_is_skipped_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    s.store(&meta("good-1", now()), b"x\r\n").unwrap();
    let fifo = dir.path().join("held/fifo-1.msg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let root = dir.path().to_path_buf();
    let (listing, stored, shown) = within_deadline(move || {
        let s = store(&root, 1 << 20);
        let listing = s.list();
        let stored = s.store(&meta("good-2", now()), b"y\r\n");
        let shown = s.show("fifo-1");
        (reasons(&listing), stored, shown)
    });
    assert_eq!(listing, [Skip::NotRegularFile]);
    stored.expect("a FIFO neither hangs nor fails the store");
    assert!(matches!(
        shown,
        Err(QuarantineError::Unusable {
            reason: Skip::NotRegularFile,
            ..
        })
    ));
    assert_eq!(ids(&s), ["good-1", "good-2"]);
    s.delete("fifo-1").unwrap();
    assert!(s.list().skipped.is_empty());
}

#[test]
fn quarantine_symlinks_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    // A valid-looking, expired entry outside the store, linked into held/.
    let target = outside.path().join("link-1.msg");
    fs::write(&target, entry_bytes(&meta("link-1", now() - 7200), b"x")).unwrap();
    fs::create_dir_all(dir.path().join("held")).unwrap();
    let link = dir.path().join("held/link-1.msg");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    assert_eq!(reasons(&s.list()), [Skip::NotRegularFile]);
    assert_eq!(s.prune(), 0);
    assert!(matches!(
        s.show("link-1"),
        Err(QuarantineError::Unusable {
            reason: Skip::NotRegularFile,
            ..
        })
    ));
    assert!(s.begin_release("link-1").is_err());
    assert!(fs::symlink_metadata(&link).is_ok(), "not moved");
    // The race `list` cannot see: opened by path, a symlink is still refused.
    assert_eq!(entry::open_regular(&link).err(), Some(Skip::NotRegularFile));
    s.delete("link-1").unwrap();
    assert!(fs::symlink_metadata(&link).is_err(), "the link is gone");
    assert!(target.exists(), "what it pointed to is untouched");
}

#[test]
fn retention_deletes_only_what_it_means_to() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), 1 << 20);
    plant(
        dir.path(),
        "old-1.msg",
        &entry_bytes(&meta("old-1", now() - 7200), b"x"),
    );
    plant(dir.path(), "broken-1.msg", b"\xff\xfe");
    let fifo = dir.path().join("held/fifo-1.msg");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    s.store(&meta("new-1", now()), b"new\r\n").unwrap();
    s.store(&meta("new-2", now()), b"new\r\n").unwrap();
    assert_eq!(ids(&s), ["new-1", "new-2"], "only the expired entry went");
    assert!(dir.path().join("held/broken-1.msg").exists());
    assert!(fs::symlink_metadata(&fifo).is_ok());
}
