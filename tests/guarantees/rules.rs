//! Content rules → verdict → action, against the real binary: X-Spam headers on relayed mail,
//! refusal and quarantine by score, GTUBE, release exactly once, rule reload all-or-nothing
//! by file watch, and the `scan` and `rules test` commands.

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::{Moat, moat_bin};
use std::path::Path;
use std::process::{Command, Output};

/// Rules keyed on subject words, so each test message picks its own score.
const RULES: &str = r#"rules:
  - id: TEST_MARK
    description: marker for add_header
    target: subject
    regex: MARKME
    score: 6
  - id: TEST_HOLD
    description: marker for quarantine
    target: subject
    regex: HOLDME
    score: 12
  - id: TEST_REFUSE
    description: marker for reject
    target: subject
    words: [REFUSEME]
    score: 20
"#;

/// Moat with the fault backend, the default pack plus `rules_file`, and a quarantine in its dir.
fn start(backend: &FaultBackend, rules_file: &Path) -> Moat {
    let yaml = Conf::for_backend(backend).render()
        + &format!(
            "rules:\n  files:\n    - builtin:default\n    - {}\n  watch: 200ms\nquarantine:\n  path: {{DIR}}/quarantine\n",
            rules_file.display()
        );
    Moat::start(&yaml)
}

fn send(moat: &Moat, subject: &str, body: &str) -> Outcome {
    let (mut c, _) = connect_ehlo(moat);
    let msg = format!(
        "From: Ann <ann@sender.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <{}@sender.test>\r\nDate: {}\r\n\r\n{body}\r\n",
        subject.replace(' ', "-"),
        moat::message::headers::rfc5322_date(std::time::SystemTime::now())
    );
    transact(
        &mut c,
        "ann@sender.test",
        &["alice@example.test"],
        msg.as_bytes(),
    )
}

fn moat_cmd(moat: &Moat, args: &[&str]) -> Output {
    Command::new(moat_bin())
        .args(args)
        .arg("--config")
        .arg(&moat.config_path)
        .current_dir(moat.dir())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn verdict_actions_mark_refuse_quarantine_and_release_once() {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let backend = FaultBackend::normal();
    let moat = start(&backend, &file);

    assert!(send(&moat, "hello there", "See you at lunch.").delivered());
    let plain = backend.messages_containing("hello there");
    assert!(
        plain[0].text().contains("X-Spam-Flag: NO\r\n"),
        "{}",
        plain[0].text()
    );

    assert!(send(&moat, "MARKME please", "hi").delivered());
    let marked = backend.messages_containing("MARKME please");
    assert_eq!(marked.len(), 1);
    let t = marked[0].text();
    assert!(t.contains("X-Spam-Flag: YES\r\n"), "{t}");
    assert!(
        t.contains("X-Spam-Status: Yes, score=6.0 required=4.0 tests=TEST_MARK"),
        "{t}"
    );

    let refused = send(&moat, "REFUSEME now", "hi");
    assert_eq!(code(&refused.reply), 550, "{refused:?}");
    let gtube = send(
        &moat,
        "test",
        "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X",
    );
    assert_eq!(code(&gtube.reply), 550, "{gtube:?}");
    assert!(backend.messages_containing("REFUSEME").is_empty());
    assert!(backend.messages_containing("GTUBE-STANDARD").is_empty());

    assert!(
        send(&moat, "HOLDME later", "hi").delivered(),
        "quarantine answers 250"
    );
    assert!(
        backend.messages_containing("HOLDME").is_empty(),
        "held, not relayed"
    );
    let list = moat_cmd(&moat, &["quarantine", "list"]);
    assert!(
        list.status.success() && text(&list).contains("TEST_HOLD"),
        "{}",
        text(&list)
    );
    let id = text(&list)
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let show = moat_cmd(&moat, &["quarantine", "show", &id]);
    assert!(
        text(&show).contains("Subject: HOLDME later"),
        "{}",
        text(&show)
    );

    let release = moat_cmd(&moat, &["quarantine", "release", &id]);
    assert!(release.status.success(), "{}", text(&release));
    assert_eq!(backend.messages_containing("HOLDME later").len(), 1);
    let again = moat_cmd(&moat, &["quarantine", "release", &id]);
    assert!(
        !again.status.success(),
        "a second release must fail: {}",
        text(&again)
    );
    assert_eq!(
        backend.messages_containing("HOLDME later").len(),
        1,
        "exactly once"
    );
    assert!(
        String::from_utf8_lossy(&moat_cmd(&moat, &["quarantine", "list"]).stdout).trim()
            == moat::store::quarantine::print::LIST_HEADER
    );
}

#[test]
fn rule_reload_broken_file_keeps_old_rules_then_good_file_applies() {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let backend = FaultBackend::normal();
    let moat = start(&backend, &file);

    // A broken rule file (bad regex) written while Moat runs: logged with file and line.
    std::fs::write(&file, RULES.to_string() + "  - id: BROKEN\n    description: x\n    target: body\n    regex: '(unclosed'\n    score: 1\n").unwrap();
    assert!(moat.wait_log("reload failed"), "log:\n{}", moat.log());
    let expected = format!("{}:17", file.display());
    assert!(
        moat.wait_log(&expected),
        "names {expected}:\n{}",
        moat.log()
    );
    // The old rules still score messages.
    assert!(send(&moat, "MARKME one", "hi").delivered());
    let t = backend.messages_containing("MARKME one")[0].text();
    assert!(t.contains("tests=TEST_MARK"), "{t}");

    // A good file takes effect without a restart.
    std::fs::write(&file, RULES.replace("MARKME", "NEWMARK")).unwrap();
    assert!(
        moat.wait_log("configuration reloaded"),
        "log:\n{}",
        moat.log()
    );
    assert!(send(&moat, "NEWMARK two", "hi").delivered());
    let t = backend.messages_containing("NEWMARK two")[0].text();
    assert!(
        t.contains("X-Spam-Flag: YES") && t.contains("tests=TEST_MARK"),
        "{t}"
    );
    assert!(send(&moat, "MARKME three", "hi").delivered());
    let t = backend.messages_containing("MARKME three")[0].text();
    assert!(t.contains("X-Spam-Flag: NO"), "old pattern gone: {t}");
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(moat_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn scan_explain_gtube_rejects_and_personal_message_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let gtube = dir.path().join("gtube.eml");
    std::fs::write(&gtube, "From: a@b.test\r\nTo: c@example.test\r\nSubject: test\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <g@b.test>\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n").unwrap();
    let out = run(&["scan", "--explain", gtube.to_str().unwrap()], dir.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains(": reject score="), "{t}");
    assert!(
        t.contains("GTUBE (forces reject): GTUBE test string"),
        "{t}"
    );

    let personal = dir.path().join("personal.eml");
    std::fs::write(&personal, "From: Anna Berg <anna@family.test>\r\nTo: Tom <tom@example.test>\r\nSubject: Sunday lunch\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <20260101.1@family.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Tom,\r\n\r\nare you coming on Sunday? Mum is making her soup. Bring the kids if you can.\r\n\r\nAnna\r\n").unwrap();
    let out = run(
        &["scan", "--explain", personal.to_str().unwrap()],
        dir.path(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains(": accept score=0.0 tests=\n"), "{t}");

    // A directory: one line per file, then a summary by action.
    let out = run(
        &["scan", "--json", dir.path().to_str().unwrap()],
        dir.path(),
    );
    let t = text(&out);
    assert_eq!(t.lines().filter(|l| l.starts_with('{')).count(), 2, "{t}");
    let out = run(&["scan", dir.path().to_str().unwrap()], dir.path());
    assert!(
        text(&out).contains("summary: 2 messages: accept=1 reject=1"),
        "{}",
        text(&out)
    );
}

const GTUBE_MSG: &str = "From: a@b.test\r\nTo: c@example.test\r\nSubject: test\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <g@b.test>\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
const PERSONAL_MSG: &str = "From: Anna Berg <anna@family.test>\r\nTo: Tom <tom@example.test>\r\nSubject: Sunday lunch\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <20260101.1@family.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Tom,\r\n\r\nare you coming on Sunday?\r\n>From the kitchen: soup.\r\n\r\nAnna\r\n";

/// Issue 18 item 6: a Maildir is its `cur/` and `new/` messages, not Dovecot's index
/// files beside them; an mbox file is one verdict per message, not one for the file.
#[test]
fn scan_reads_maildir_messages_and_each_mbox_message() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("dovecot.index.log"), b"\x01\x02\x00\x00binary").unwrap();
    std::fs::write(md.join("dovecot-uidlist"), "3 V1 N2\n").unwrap();
    std::fs::write(md.join("cur/1.host:2,S"), GTUBE_MSG).unwrap();
    std::fs::write(md.join("new/2.host"), PERSONAL_MSG).unwrap();
    let out = run(&["scan", md.to_str().unwrap()], dir.path());
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(!t.contains("dovecot"), "{t}");
    assert!(t.contains("cur/1.host:2,S: reject"), "{t}");
    assert!(t.contains("new/2.host: accept"), "{t}");
    assert!(t.contains("summary: 2 messages: accept=1 reject=1"), "{t}");

    let mbox = dir.path().join("archive.mbox");
    let quoted = PERSONAL_MSG.replace(">From the", ">>From the");
    std::fs::write(
        &mbox,
        format!(
            "From a@b.test Thu Jan  1 10:00:00 2026\r\n{GTUBE_MSG}\r\n\
             From anna@family.test Thu Jan  1 10:00:00 2026\r\n{PERSONAL_MSG}\r\n\
             From anna@family.test Thu Jan  1 10:00:01 2026\r\n{quoted}"
        ),
    )
    .unwrap();
    let m = mbox.to_str().unwrap();
    let out = run(&["scan", m], dir.path());
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains(&format!("{m}#1: reject")), "{t}");
    assert!(t.contains(&format!("{m}#2: accept")), "{t}");
    assert!(t.contains(&format!("{m}#3: accept")), "{t}");
    assert!(t.contains("summary: 3 messages: accept=2 reject=1"), "{t}");
    let out = run(&["scan", "--json", m], dir.path());
    let t = text(&out);
    assert!(t.contains(r#""message":3"#), "{t}");
}

#[test]
fn rules_test_passes_for_default_pack_and_names_failing_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["rules", "test"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(" failed"), "{}", text(&out));

    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "rules:\n  - id: WIN\n    description: w\n    target: subject\n    regex: win\n    score: 1\n    examples:\n      match:\n        - \"Subject: you win\\n\\n\"\n        - \"Subject: nothing\\n\\n\"\n").unwrap();
    let out = run(&["rules", "test", file.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let expected = format!(
        "{}:10: WIN: `match` example 2 does not fire the rule",
        file.display()
    );
    assert!(text(&out).contains(&expected), "{}", text(&out));
}

#[test]
fn rewrite_subject_tags_and_lists_short_circuit_the_checks() {
    let backend = FaultBackend::normal();
    let yaml = Conf::for_backend(&backend).render()
        + "actions:\n  add_header: 3\n  rewrite_subject: 5\n  quarantine: 50\n  reject: 100\n  subject_tag: '[JUNK]'\n\
           lists:\n  allow:\n    senders: [boss@sender.test]\n  deny:\n    domains: [spammer.test]\n";
    let moat = Moat::start(&yaml);
    let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    // Over rewrite_subject (HARVESTED_ADDRESS 2 + OPT_IN_CLAIM 2.5 + ...): tagged.
    let (mut c, _) = connect_ehlo(&moat);
    let body = "Subject: offer\r\n\r\nThis is not spam. This is a one-time mailing. Act now!\r\n";
    assert!(
        transact(
            &mut c,
            "ann@sender.test",
            &["alice@example.test"],
            body.as_bytes()
        )
        .delivered()
    );
    let t = backend.messages_containing("one-time mailing")[0].text();
    assert!(
        t.contains("Subject: [JUNK] offer\r\n") && t.contains("X-Spam-Flag: YES"),
        "{t}"
    );

    // Allowed sender: no checks run, even GTUBE is accepted.
    let (mut c, _) = connect_ehlo(&moat);
    let body = format!("Subject: boss\r\n\r\n{gtube}\r\n");
    assert!(
        transact(
            &mut c,
            "boss@sender.test",
            &["alice@example.test"],
            body.as_bytes()
        )
        .delivered()
    );
    let t = backend.messages_containing("Subject: boss")[0].text();
    assert!(t.contains("tests=ALLOWLIST"), "{t}");

    // Denied domain: refused whatever the content.
    let (mut c, _) = connect_ehlo(&moat);
    let out = transact(
        &mut c,
        "x@mail.spammer.test",
        &["alice@example.test"],
        b"Subject: hi\r\n\r\nhello\r\n",
    );
    assert_eq!(code(&out.reply), 550, "{out:?}");
    assert!(backend.messages_containing("Subject: hi\r\n").is_empty());
}
