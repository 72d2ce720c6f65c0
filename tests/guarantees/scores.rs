//! Fitted scores against the real binary: `moat rules fit` recovers the structure of a small
//! synthetic labelled set through the whole judgement pipeline and writes a score file the
//! configuration loads; a corrupt score file is refused with its line while Moat keeps
//! scoring with the previous one (reload all-or-nothing), and a good one applies.

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::{Moat, moat_bin};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

/// Four signs in the subject, each with a hand score that says which way it points.
const RULES: &str = r#"rules:
  - id: SYN_STRONG
    description: only in spam
    target: subject
    words: [alpha]
    score: 1
  - id: SYN_WEAK
    description: mostly in spam
    target: subject
    words: [beta]
    score: 1
  - id: SYN_EVEN
    description: as often in spam as in ham, although its author thought it spammy
    target: subject
    words: [gamma]
    score: 1
  - id: SYN_HAM
    description: a sign of legitimate mail
    target: subject
    words: [delta]
    score: -1
"#;

fn message(n: usize, subject: &str) -> String {
    format!(
        "From: Ann <ann{n}@sender.test>\r\nTo: bob@example.test\r\nSubject: {subject} {n}\r\nMessage-ID: <{n}.{}@sender.test>\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\n\r\nmessage number {n}\r\n",
        subject.replace(' ', ".")
    )
}

/// 80 spam and 160 ham with known structure: alpha in 9 of 10 spam and 1 of 20 ham; beta in
/// 3 of 4 spam and 1 of 10 ham; gamma in half of each; delta in every ham.
fn labelled(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (spam, ham) = (dir.join("spam"), dir.join("ham"));
    std::fs::create_dir_all(&spam).unwrap();
    std::fs::create_dir_all(&ham).unwrap();
    for n in 0..80 {
        let mut s = vec![if n % 10 == 0 { "zeta" } else { "alpha" }];
        if n % 4 != 0 {
            s.push("beta");
        }
        if n % 2 == 0 {
            s.push("gamma");
        }
        std::fs::write(spam.join(format!("{n}.eml")), message(n, &s.join(" "))).unwrap();
    }
    for n in 0..160 {
        let mut s = vec!["delta"];
        if n % 20 == 0 {
            s.push("alpha");
        }
        if n % 10 == 0 {
            s.push("beta");
        }
        if n % 2 == 0 {
            s.push("gamma");
        }
        std::fs::write(
            ham.join(format!("{n}.eml")),
            message(1000 + n, &s.join(" ")),
        )
        .unwrap();
    }
    (spam, ham)
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(moat_bin())
        .args(args)
        .current_dir(dir)
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

/// `ID: score` lines of a score file.
fn scores(file: &str) -> HashMap<String, f64> {
    file.lines()
        .filter_map(|l| {
            let (id, rest) = l.trim().split_once(':')?;
            let v = rest.split('#').next()?.trim().parse().ok()?;
            Some((id.to_string(), v))
        })
        .collect()
}

#[test]
fn rules_fit_recovers_signs_and_order_of_synthetic_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = labelled(dir.path());
    std::fs::write(dir.path().join("syn.yaml"), RULES).unwrap();
    let config = dir.path().join("moat.yaml");
    let base = "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: ./mail\nrules:\n  files: [syn.yaml]\n";
    std::fs::write(&config, base).unwrap();
    let (c, s, h) = (
        config.to_str().unwrap(),
        spam.to_str().unwrap(),
        ham.to_str().unwrap(),
    );
    let out = run(
        &[
            "rules",
            "fit",
            "-c",
            c,
            "--spam",
            s,
            "--ham",
            h,
            "--out",
            "fitted.yaml",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let file = std::fs::read_to_string(dir.path().join("fitted.yaml")).unwrap();
    let w = scores(&file);
    let (strong, weak, even, ham_sign) =
        (w["SYN_STRONG"], w["SYN_WEAK"], w["SYN_EVEN"], w["SYN_HAM"]);
    assert!(
        strong > weak && weak > even && even >= 0.0 && ham_sign < 0.0,
        "{file}"
    );
    assert!(
        file.contains("# spam 72 ham 8"),
        "hits are reported: {file}"
    );

    // The file is what the configuration loads.
    std::fs::write(&config, format!("{base}  scores: fitted.yaml\n")).unwrap();
    let out = run(&["check-config", "-c", c], dir.path());
    assert!(out.status.success(), "{}", text(&out));

    // Cross-validation prints before and after per folder.
    let out = run(
        &[
            "rules",
            "fit",
            "-c",
            c,
            "--spam",
            s,
            "--ham",
            h,
            "--evaluate",
            "--folds",
            "4",
        ],
        dir.path(),
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("all spam (recall)") && t.contains("all ham"),
        "{t}"
    );
}

/// The same labelled mail as two mbox files (`crate::mailstore`) fits the same counts.
#[test]
fn rules_fit_reads_each_message_of_an_mbox_file() {
    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = labelled(dir.path());
    for d in [&spam, &ham] {
        let mut mbox = String::new();
        for f in std::fs::read_dir(d).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            mbox.push_str("From ann@sender.test Thu Jan  1 10:00:00 2026\r\n");
            mbox.push_str(&text);
            mbox.push_str("\r\n");
        }
        std::fs::write(d.with_extension("mbox"), mbox).unwrap();
    }
    std::fs::write(dir.path().join("syn.yaml"), RULES).unwrap();
    let config = dir.path().join("moat.yaml");
    std::fs::write(&config, "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: ./mail\nrules:\n  files: [syn.yaml]\n").unwrap();
    let (s, h) = (spam.with_extension("mbox"), ham.with_extension("mbox"));
    let out = run(
        &[
            "rules",
            "fit",
            "-c",
            config.to_str().unwrap(),
            "--spam",
            s.to_str().unwrap(),
            "--ham",
            h.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("# spam 72 ham 8"), "{}", text(&out));
}

const MARK: &str = "rules:\n  - id: TEST_MARK\n    description: marker\n    target: subject\n    regex: MARKME\n    score: 6\n";

fn send(moat: &Moat, subject: &str) -> Outcome {
    let (mut c, _) = connect_ehlo(moat);
    let msg = format!(
        "From: Ann <ann@sender.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <{}@sender.test>\r\nDate: {}\r\n\r\nhi\r\n",
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

fn marked(backend: &FaultBackend, subject: &str) -> bool {
    let t = backend.messages_containing(subject)[0].text();
    assert!(t.contains("tests=TEST_MARK"), "{t}");
    t.contains("X-Spam-Flag: YES")
}

#[test]
fn score_file_reload_broken_file_keeps_old_scores_then_good_file_applies() {
    let files = tempfile::tempdir().unwrap();
    let (rules, fitted) = (
        files.path().join("mark.yaml"),
        files.path().join("fitted.yaml"),
    );
    std::fs::write(&rules, MARK).unwrap();
    // The fit says the marker is weak: 6 by hand, 1.5 fitted, below add_header.
    std::fs::write(&fitted, "scores:\n  TEST_MARK: 1.5\n").unwrap();
    let backend = FaultBackend::normal();
    let yaml = Conf::for_backend(&backend).render()
        + &format!(
            "rules:\n  files: [{}]\n  scores: {}\n  watch: 200ms\n",
            rules.display(),
            fitted.display()
        );
    let moat = Moat::start(&yaml);
    assert!(send(&moat, "MARKME one").delivered());
    assert!(
        !marked(&backend, "MARKME one"),
        "the score file's 1.5 applies"
    );

    // A corrupt score file: refused with its file and line; the running scores stay.
    std::fs::write(&fitted, "scores:\n  TEST_MARK: 7\n  OTHER: plenty\n").unwrap();
    assert!(moat.wait_log("reload failed"), "log:\n{}", moat.log());
    let expected = format!("{}:3: scores.OTHER", fitted.display());
    assert!(
        moat.wait_log(&expected),
        "names {expected}:\n{}",
        moat.log()
    );
    assert!(send(&moat, "MARKME two").delivered());
    assert!(!marked(&backend, "MARKME two"), "still 1.5, not 7");

    // A good file applies without a restart.
    std::fs::write(&fitted, "scores:\n  TEST_MARK: 7\n").unwrap();
    assert!(
        moat.wait_log("configuration reloaded"),
        "log:\n{}",
        moat.log()
    );
    assert!(send(&moat, "MARKME three").delivered());
    assert!(marked(&backend, "MARKME three"), "7 marks");
}
