use super::*;

fn session(root: &Path) -> MaildirSession {
    MaildirSession::new(Arc::new(MaildirTarget::new(root.to_path_buf(), "mx.test")))
}

/// The files in `<root>/<domain>/<local>/<sub>`.
fn files(root: &Path, mailbox: &str, sub: &str) -> Vec<PathBuf> {
    let dir = root.join(mailbox).join(sub);
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn mailbox_is_lowercased_and_split_at_last_at() {
    let m = mailbox("Alice.Smith@Example.TEST").unwrap();
    assert_eq!(
        (m.domain.as_str(), m.local.as_str()),
        ("example.test", "alice.smith")
    );
    let m = mailbox("\"a@b\"@x.test").unwrap();
    assert_eq!((m.domain.as_str(), m.local.as_str()), ("x.test", "\"a@b\""));
}

#[test]
fn unsafe_mailboxes_are_refused() {
    for a in [
        "noat",
        "@x.test",
        "a@",
        ".a@x.test",
        ".@x.test",
        "..@x.test",
        "a/b@x.test",
        "a\\b@x.test",
        "a\0b@x.test",
        "a\x01@x.test",
        "a\x7f@x.test",
        "a@.x.test",
        "a@..",
        "a@x/y",
        "a@x\\y",
    ] {
        assert_eq!(mailbox(a), None, "{a:?}");
    }
    assert_eq!(mailbox(&format!("{}@x.test", "a".repeat(256))), None);
}

#[test]
fn hostname_is_escaped_for_file_names() {
    let t = MaildirTarget::new(PathBuf::from("/m"), "a/b:c,d");
    assert_eq!(t.hostname, "a\\057b\\072c\\054d");
}

#[tokio::test]
async fn delivers_to_two_recipients() {
    let root = tempfile::tempdir().unwrap();
    let mut s = session(root.path());
    assert_eq!(s.mail().code, 250);
    assert_eq!(
        s.rcpt("Alice@Example.test"),
        Reply::status(250, 1, 5, "Recipient OK")
    );
    assert_eq!(s.rcpt("bob@example.test").code, 250);
    assert_eq!(
        s.rcpt("ALICE@example.test").code,
        250,
        "duplicate accepted, one copy"
    );
    let (headers, body) = (
        b"X-Moat: 1\r\n",
        b"Subject: hi\r\n\r\n.dot stays single\r\nend",
    );
    let reply = s.data(headers, body).await.unwrap();
    assert_eq!(
        reply,
        Reply::status(250, 0, 0, "Message accepted for delivery")
    );
    let expected = [&headers[..], &body[..]].concat();
    for who in ["example.test/alice", "example.test/bob"] {
        let new = files(root.path(), who, "new");
        assert_eq!(new.len(), 1, "{who}");
        assert_eq!(fs::read(&new[0]).unwrap(), expected);
        let name = new[0].file_name().unwrap().to_str().unwrap();
        assert!(
            name.ends_with(&format!(".mx.test,S={}", expected.len())),
            "{name}"
        );
        assert!(files(root.path(), who, "tmp").is_empty());
        assert!(files(root.path(), who, "cur").is_empty());
    }
    // The transaction is over: a new one needs new recipients.
    assert_eq!(s.data(b"", b"x").await.unwrap().code, 554);
}

#[tokio::test]
async fn unique_names_for_repeated_deliveries() {
    let root = tempfile::tempdir().unwrap();
    let mut s = session(root.path());
    for _ in 0..3 {
        s.mail();
        s.rcpt("a@x.test");
        s.data(b"", b"m\r\n").await.unwrap();
    }
    assert_eq!(files(root.path(), "x.test/a", "new").len(), 3);
}

#[tokio::test]
async fn unsafe_recipient_gets_550() {
    let root = tempfile::tempdir().unwrap();
    let mut s = session(root.path());
    s.mail();
    assert_eq!(
        s.rcpt("../etc@x.test"),
        Reply::status(550, 1, 3, "Bad destination mailbox address")
    );
    assert_eq!(s.rcpt("a@x.test/../../y").code, 550);
    assert_eq!(
        fs::read_dir(root.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn rset_forgets_recipients() {
    let root = tempfile::tempdir().unwrap();
    let mut s = session(root.path());
    s.mail();
    s.rcpt("a@x.test");
    s.rset();
    assert_eq!(s.data(b"", b"m").await.unwrap().code, 554);
}

#[tokio::test]
async fn failure_for_one_recipient_delivers_to_none() {
    let root = tempfile::tempdir().unwrap();
    // bob's mailbox cannot be created: a file is in the way.
    fs::create_dir_all(root.path().join("x.test")).unwrap();
    fs::write(root.path().join("x.test/bob"), b"").unwrap();
    let mut s = session(root.path());
    s.mail();
    s.rcpt("alice@x.test");
    s.rcpt("bob@x.test");
    let err = s.data(b"", b"m\r\n").await.unwrap_err();
    assert!(matches!(err, RelayError::Maildir { .. }), "{err:?}");
    assert_eq!(err.stage(), super::super::Stage::DataEnd);
    assert!(files(root.path(), "x.test/alice", "tmp").is_empty());
    assert!(files(root.path(), "x.test/alice", "new").is_empty());
}
