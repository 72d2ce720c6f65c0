//! The policy table is the one place that gives a finding its score and action: the same
//! configuration changes a rule finding's verdict in `moat serve` and in `moat scan
//! --explain` alike — a fitted score file (`rules.scores`) raising a rule's score, and a
//! configured entry (`auth.policy`) deciding for a rule of the same id over its rule file.

mod common;

use common::fault_backend::FaultBackend;
use common::moat::{Moat, moat_bin};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

/// Two rules that fire on the subject "table probe": a small score each, no forced action.
const RULES: &str = concat!(
    "rules:\n",
    "  - id: TABLE_PROBE\n    description: the probe subject\n    target: subject\n",
    "    regex: 'table probe'\n    score: 0.5\n",
    "  - id: SPF_FAIL\n    description: a rule named like an authentication finding\n",
    "    target: subject\n    regex: 'spf probe'\n    score: 0.1\n",
);

const MESSAGE: &str =
    "From: a@sender.test\r\nTo: b@example.test\r\nSubject: {SUBJECT}\r\n\r\nHello\r\n";

/// The configuration: only our rules, and `extra` (the table's sources) appended.
fn config(dir: &Path, backend: &FaultBackend, extra: &str) -> String {
    format!(
        "hostname: mx.moat.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\nrules:\n  files: [{}]\n{extra}",
        backend.addr,
        dir.join("probe.yaml").display()
    )
}

/// What `moat serve` answers at the end of DATA for a message with `subject` (one command
/// at a time, so each reply is read whole before the next command).
fn served(moat: &Moat, subject: &str) -> String {
    let stream = TcpStream::connect(moat.addr).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut reply = move || {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "closed after {all:?}"
            );
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    };
    assert!(reply().starts_with("220"));
    let message = MESSAGE.replace("{SUBJECT}", subject) + ".\r\n";
    let steps: [(&str, &str); 4] = [
        ("EHLO client.test\r\n", "250"),
        ("MAIL FROM:<a@sender.test>\r\n", "250"),
        ("RCPT TO:<b@example.test>\r\n", "250"),
        ("DATA\r\n", "354"),
    ];
    for (command, expected) in steps {
        writer.write_all(command.as_bytes()).unwrap();
        let got = reply();
        assert!(got.starts_with(expected), "{command}: {got}");
    }
    writer.write_all(message.as_bytes()).unwrap();
    reply()
}

/// What `moat scan --explain` prints for the same message under the same configuration.
fn scanned(dir: &Path, yaml: &str, subject: &str) -> String {
    let conf = dir.join("scan.yaml");
    std::fs::write(&conf, yaml.replace("{PORT}", "2525")).unwrap();
    let eml = dir.join("m.eml");
    std::fs::write(&eml, MESSAGE.replace("{SUBJECT}", subject)).unwrap();
    let out = Command::new(moat_bin())
        .args(["scan", "--explain", "--config"])
        .arg(&conf)
        .arg(&eml)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn score_file_entry_changes_a_rule_verdict_in_serve_and_scan_alike() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.yaml"), RULES).unwrap();
    std::fs::write(dir.path().join("fit.yaml"), "scores:\n  TABLE_PROBE: 20\n").unwrap();
    let backend = FaultBackend::normal();

    // The rule file's own score: accepted.
    let plain = config(dir.path(), &backend, "");
    let moat = Moat::start(&plain);
    let reply = served(&moat, "table probe");
    assert!(reply.starts_with("250"), "{reply}");
    let out = scanned(dir.path(), &plain, "table probe");
    assert!(
        out.contains(": accept score=0.5 tests=TABLE_PROBE"),
        "{out}"
    );
    drop(moat);

    // The table's score for the same finding (from `rules.scores`): rejected by both.
    let scores = format!("  scores: {}\n", dir.path().join("fit.yaml").display());
    let fitted = config(dir.path(), &backend, "") + &scores;
    let moat = Moat::start(&fitted);
    let reply = served(&moat, "table probe");
    assert!(reply.starts_with("550"), "{reply}");
    let out = scanned(dir.path(), &fitted, "table probe");
    assert!(
        out.contains(": reject score=20.0 tests=TABLE_PROBE"),
        "{out}"
    );
    assert!(out.contains("20.00  TABLE_PROBE"), "{out}");
}

#[test]
fn configured_entry_decides_over_a_rule_file_in_serve_and_scan_alike() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.yaml"), RULES).unwrap();
    let backend = FaultBackend::normal();
    let yaml = config(
        dir.path(),
        &backend,
        "auth:\n  policy:\n    SPF_FAIL: {action: tempfail, score: 1}\n",
    );
    let moat = Moat::start(&yaml);
    let reply = served(&moat, "spf probe");
    assert!(reply.starts_with("451"), "{reply}");
    let out = scanned(dir.path(), &yaml, "spf probe");
    assert!(out.contains(": tempfail score=1.0 tests=SPF_FAIL"), "{out}");
    let line = out.lines().find(|l| l.contains("1.00  SPF_FAIL"));
    assert!(
        line.is_some_and(|l| l.contains("(forces tempfail)")),
        "{out}"
    );
}
