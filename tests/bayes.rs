//! The statistical classifier against the real binary: `moat learn` from files and from a
//! Dovecot user's IMAP folders, BAYES_xx findings in `moat scan --explain` and on relayed
//! mail, and a damaged model refused while Moat keeps serving.

mod common;

use common::client::TcpClient;
use common::dovecot::{Dovecot, PASSWORD};
use common::moat::{Moat, moat_bin};
use common::tools::{self, swaks};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPAM_WORDS: &[&str] = &[
    "replica",
    "watches",
    "discount",
    "rolex",
    "cheap",
    "order",
    "now",
    "limited",
    "offer",
    "luxury",
    "bargain",
    "shipping",
    "free",
    "guaranteed",
    "price",
];
const HAM_WORDS: &[&str] = &[
    "meeting", "agenda", "review", "patch", "build", "release", "thanks", "tomorrow", "project",
    "notes", "schedule", "draft", "comments", "team", "lunch",
];

/// A deterministic message drawing words from `pool` (a small LCG, seeded by `n`).
fn message(spam: bool, n: u64) -> String {
    let pool = if spam { SPAM_WORDS } else { HAM_WORDS };
    let mut rng = common::rng::Rng::seeded(n);
    let mut pick = || rng.pick(pool);
    let subject = format!("{} {} {}", pick(), pick(), pick());
    let body: Vec<&str> = (0..40).map(|_| pick()).collect();
    let (from, link) = if spam {
        (
            "deals@bargain-watches.test",
            "http://shop.bargain-watches.test/buy",
        )
    } else {
        ("colleague@work.test", "http://wiki.work.test/notes")
    };
    format!(
        "From: {from}\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <{n}.{spam}@x.test>\r\n\r\n{}\r\n{link}\r\n",
        body.join(" ")
    )
}

/// Writes `count` messages of one class into a new directory under `dir`.
fn corpus(dir: &Path, spam: bool, count: u64) -> PathBuf {
    let d = dir.join(if spam { "spam" } else { "ham" });
    std::fs::create_dir_all(&d).unwrap();
    for n in 0..count {
        std::fs::write(d.join(format!("{n}.eml")), message(spam, n)).unwrap();
    }
    d
}

fn moat(args: &[&str]) -> Output {
    Command::new(moat_bin()).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn config(model: &Path) -> String {
    format!(
        "hostname: mx.test\nlisten: [127.0.0.1:{{PORT}}]\ndomains: [example.test]\n\
         backend:\n  protocol: maildir\n  path: {{DIR}}/mail\nrules:\n  files: []\n\
         bayes:\n  model: {}\n  min_spam: 20\n  min_ham: 20\n",
        model.display()
    )
}

#[test]
fn learn_counts_each_message_once_and_scan_explains_bayes_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = (corpus(dir.path(), true, 30), corpus(dir.path(), false, 30));
    let model = dir.path().join("bayes.model");
    let m = model.to_str().unwrap();
    let args = [
        "learn",
        "--model",
        m,
        "--spam",
        spam.to_str().unwrap(),
        "--ham",
        ham.to_str().unwrap(),
    ];
    let first = moat(&args);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("model") && text(&first).contains("30 spam, 30 ham"),
        "{}",
        text(&first)
    );
    let again = moat(&args);
    assert!(
        text(&again).contains("0 learned, 30 already known"),
        "{}",
        text(&again)
    );
    assert!(text(&again).contains("30 spam, 30 ham"), "{}", text(&again));

    let conf = dir.path().join("moat.yaml");
    std::fs::write(
        &conf,
        config(&model)
            .replace("{PORT}", "2525")
            .replace("{DIR}", "/tmp"),
    )
    .unwrap();
    let new_spam = dir.path().join("new.eml");
    std::fs::write(&new_spam, message(true, 1000)).unwrap();
    let c = conf.to_str().unwrap();
    let scan = moat(&[
        "scan",
        "--explain",
        "--config",
        c,
        new_spam.to_str().unwrap(),
    ]);
    let out = text(&scan);
    assert!(
        out.contains("BAYES_99") && out.contains("bayes spam probability"),
        "{out}"
    );
    // The classifier's reasons: the message's own words that the spam taught it.
    assert!(
        out.contains("classifier, strongest for spam: \"")
            && out.contains("evidence of legitimate mail:"),
        "{out}"
    );
    let new_ham = dir.path().join("ham.eml");
    std::fs::write(&new_ham, message(false, 1000)).unwrap();
    let out = text(&moat(&[
        "scan",
        "--explain",
        "--config",
        c,
        new_ham.to_str().unwrap(),
    ]));
    assert!(out.contains("BAYES_00"), "{out}");
}

#[test]
fn corrupt_model_is_refused_and_moat_serves_with_classifier_off() {
    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = (corpus(dir.path(), true, 25), corpus(dir.path(), false, 25));
    let model = dir.path().join("bayes.model");
    let m = model.to_str().unwrap();
    let learned = moat(&[
        "learn",
        "--model",
        m,
        "--spam",
        spam.to_str().unwrap(),
        "--ham",
        ham.to_str().unwrap(),
    ]);
    assert!(learned.status.success(), "{}", text(&learned));
    // Truncate: as if the disk filled up while another tool copied it.
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();

    let refused = moat(&["learn", "--model", m, "--spam", spam.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("is corrupt"), "{}", text(&refused));

    let server = Moat::start(&config(&model));
    assert!(server.wait_log("is corrupt"), "{}", server.log());
    assert!(server.wait_log("classifier off"), "{}", server.log());
    let mut c = TcpClient::connect(server.addr);
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    assert!(
        c.cmd("MAIL FROM:<deals@bargain-watches.test>")
            .starts_with("250")
    );
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(message(true, 7).as_bytes());
    let reply = c.cmd(".");
    assert!(reply.starts_with("250"), "{reply}");
}

/// Puts `message` into a Maildir folder of a Dovecot user (Maildir++: `.Junk`), owned by
/// the mail user, as a local delivery agent would.
fn deliver_to_folder(dovecot: &Dovecot, folder: &str, name: &str, message: &str) {
    let home = dovecot.mail_dir().join("example.test/alice");
    let dir = if folder == "INBOX" {
        home.clone()
    } else {
        home.join(format!(".{folder}"))
    };
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let path = dir.join("new").join(name);
    std::fs::write(&path, message.replace("\r\n", "\n")).unwrap();
    let (uid, gid) = tools::user_ids("moatmail")
        .or_else(|| tools::user_ids("nobody"))
        .unwrap();
    for p in [
        &home,
        &dir,
        &dir.join("cur"),
        &dir.join("new"),
        &dir.join("tmp"),
        &path,
    ] {
        std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    }
}

#[test]
fn e2e_learn_from_imap_junk_and_inbox_then_similar_spam_is_marked() {
    let test = "e2e_learn_from_imap_junk_and_inbox_then_similar_spam_is_marked";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    for n in 0..25 {
        deliver_to_folder(&dovecot, "Junk", &format!("{n}.spam"), &message(true, n));
        deliver_to_folder(&dovecot, "INBOX", &format!("{n}.ham"), &message(false, n));
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bayes.model");
    let url = format!("imap://{}", dovecot.imap);
    for (folder, class) in [("Junk", "spam"), ("INBOX", "ham")] {
        let out = Command::new(moat_bin())
            .args(["learn", "--model", model.to_str().unwrap(), "--imap", &url])
            .args(["--folder", folder, "--as", class])
            .env("MOAT_IMAP_USER", "alice@example.test")
            .env("MOAT_IMAP_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}\n{}", text(&out), dovecot.log());
        assert!(text(&out).contains("25 learned"), "{}", text(&out));
    }

    let yaml = format!(
        "hostname: mx.test\nlisten: [127.0.0.1:{{PORT}}]\ndomains: [example.test]\n\
         backend:\n  protocol: lmtp\n  address: {}\nrules:\n  files: []\n\
         bayes:\n  model: {}\n  min_spam: 20\n  min_ham: 20\n\
         actions:\n  quarantine: 50\n  reject: 60\n",
        dovecot.lmtp,
        model.display()
    );
    // Both opinions (content and sender) are sure: 10 points, which would quarantine; the
    // thresholds above keep the message marked in the mailbox, where the test reads it.
    let server = Moat::start(&yaml);
    let spam = message(true, 4242);
    let file = dir.path().join("spam.eml");
    std::fs::write(&file, spam.strip_suffix("\r\n").unwrap()).unwrap();
    swaks(server.addr, "alice@example.test", &file, &[]);
    let inbox = dovecot.imap_messages("alice@example.test");
    let marked: Vec<String> = inbox
        .iter()
        .map(|m| String::from_utf8_lossy(m).to_string())
        .filter(|m| m.contains("<4242.true@x.test>"))
        .collect();
    assert_eq!(marked.len(), 1, "the new spam arrived once");
    assert!(
        marked[0].contains("X-Spam-Flag: YES") && marked[0].contains("BAYES_99"),
        "{}",
        marked[0]
    );
}

/// Issue 16 acceptance #4: `moat learn --watch` keeps learning from a Dovecot user's
/// folders — Junk as spam, INBOX as ham — only what is new each round (UIDs remembered), and
/// a message the user moves from Junk to Not-Junk is relearned as ham. The model it keeps
/// marks a new similar spam relayed through Moat.
#[test]
fn e2e_learn_watch_follows_junk_inbox_and_not_junk_corrections() {
    let test = "e2e_learn_watch_follows_junk_inbox_and_not_junk_corrections";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    for n in 0..25 {
        deliver_to_folder(&dovecot, "Junk", &format!("{n}.spam"), &message(true, n));
        deliver_to_folder(&dovecot, "INBOX", &format!("{n}.ham"), &message(false, n));
    }
    // The correction folder exists, empty, as a mail client would create it.
    deliver_to_folder(
        &dovecot,
        "Not-Junk",
        "placeholder",
        "Subject: x

x
",
    );
    let home = dovecot.mail_dir().join("example.test/alice");
    std::fs::remove_file(home.join(".Not-Junk/new/placeholder")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bayes.model");
    let url = format!("imap://{}", dovecot.imap);
    let round = || {
        let out = Command::new(moat_bin())
            .args(["learn", "--model", model.to_str().unwrap(), "--watch", &url])
            .args(["--rounds", "1"])
            .env("MOAT_IMAP_USER", "alice@example.test")
            .env("MOAT_IMAP_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}\n{}", text(&out), dovecot.log());
        text(&out)
    };
    let first = round();
    for want in [
        "Junk (spam): 25 learned, 0 already known",
        "INBOX (ham): 25 learned, 0 already known",
        "Not-Junk (correction, ham): 0 learned",
        "25 spam, 25 ham",
    ] {
        assert!(first.contains(want), "missing {want:?} in {first}");
    }
    // Nothing new: nothing fetched again (the UIDs are remembered), the model unchanged.
    let second = round();
    for want in [
        "Junk (spam): 0 learned, 0 already known, 0 moved",
        "INBOX (ham): 0 learned, 0 already known, 0 moved",
        "(unchanged)",
    ] {
        assert!(second.contains(want), "missing {want:?} in {second}");
    }
    // The user takes one message out of Junk into Not-Junk (Maildir: the file moves).
    let junk = home.join(".Junk");
    let moved = ["cur", "new"]
        .iter()
        .flat_map(|d| std::fs::read_dir(junk.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("3.spam")
        })
        .expect("3.spam in Junk");
    std::fs::rename(&moved, home.join(".Not-Junk/new/3.spam")).unwrap();
    let third = round();
    for want in [
        "Not-Junk (correction, ham): 0 learned, 0 already known, 1 moved from the other class",
        "24 spam, 26 ham",
    ] {
        assert!(third.contains(want), "missing {want:?} in {third}");
    }

    let yaml = format!(
        "hostname: mx.test\nlisten: [127.0.0.1:{{PORT}}]\ndomains: [example.test]\n\
         backend:\n  protocol: lmtp\n  address: {}\nrules:\n  files: []\n\
         bayes:\n  model: {}\n  min_spam: 20\n  min_ham: 20\n\
         actions:\n  quarantine: 50\n  reject: 60\n",
        dovecot.lmtp,
        model.display()
    );
    let server = Moat::start(&yaml);
    let file = dir.path().join("spam.eml");
    let spam = message(true, 4343);
    std::fs::write(&file, spam.strip_suffix("\r\n").unwrap()).unwrap();
    swaks(server.addr, "alice@example.test", &file, &[]);
    let inbox = dovecot.imap_messages("alice@example.test");
    let marked: Vec<String> = inbox
        .iter()
        .map(|m| String::from_utf8_lossy(m).to_string())
        .filter(|m| m.contains("<4343.true@x.test>"))
        .collect();
    assert_eq!(marked.len(), 1, "the new spam arrived once");
    assert!(
        marked[0].contains("X-Spam-Flag: YES") && marked[0].contains("BAYES_99"),
        "{}",
        marked[0]
    );
}

/// Issue 18 item 5: `moat learn --spam … --ham …` as the README shows it, without
/// `--model`: into `bayes.model` (relative to the configuration file) with `--config`, and
/// into `moat-bayes.model` in the working directory with the embedded default, saying how
/// to make the server load it.
#[test]
fn learn_without_model_uses_bayes_model_or_the_documented_default() {
    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = (corpus(dir.path(), true, 3), corpus(dir.path(), false, 3));
    let (s, h) = (spam.to_str().unwrap(), ham.to_str().unwrap());

    let conf_dir = dir.path().join("etc");
    std::fs::create_dir_all(&conf_dir).unwrap();
    let conf = conf_dir.join("moat.yaml");
    let yaml = config(Path::new("learned.model"))
        .replace("{PORT}", "2525")
        .replace("{DIR}", "/tmp");
    std::fs::write(&conf, yaml).unwrap();
    let out = Command::new(moat_bin())
        .args([
            "learn",
            "--config",
            conf.to_str().unwrap(),
            "--spam",
            s,
            "--ham",
            h,
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(conf_dir.join("learned.model").is_file(), "{}", text(&out));
    assert!(!text(&out).contains("set bayes.model"), "{}", text(&out));

    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new(moat_bin())
        .args(["learn", "--spam", s, "--ham", h])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(work.join("moat-bayes.model").is_file(), "{}", text(&out));
    assert!(
        text(&out).contains("3 spam, 3 ham")
            && text(&out).contains("set bayes.model: moat-bayes.model"),
        "{}",
        text(&out)
    );
}

/// `moat learn` alone is a question about usage, not a failed run.
#[test]
fn learn_without_arguments_prints_usage() {
    let out = moat(&["learn"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("Usage: moat learn"), "{shown}");
    assert!(
        shown.contains("--spam") && shown.contains("--ham"),
        "{shown}"
    );
    assert!(!shown.contains("no model file"), "{shown}");
    // Options but no source: clap's error names what is missing, with the usage.
    let out = moat(&["learn", "--folds", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Usage: moat learn"), "{}", text(&out));
}

/// An mbox file is learned message by message (`crate::mailstore`, shared with `scan`).
#[test]
fn learn_reads_each_message_of_an_mbox_file() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("spam.mbox");
    let text_of: String = (0..3)
        .map(|n| {
            format!(
                "From deals@bargain-watches.test Thu Jan  1 10:00:00 2026\n{}\n",
                message(true, n).replace("\r\n", "\n")
            )
        })
        .collect();
    std::fs::write(&mbox, text_of).unwrap();
    let model = dir.path().join("m.model");
    let out = moat(&[
        "learn",
        "--model",
        model.to_str().unwrap(),
        "--spam",
        mbox.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Spam: 3 learned"), "{}", text(&out));
}
