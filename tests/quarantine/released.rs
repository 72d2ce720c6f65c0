//! Issue 18 item 9: a message released from the quarantine reaches the mailbox saying it
//! was released, not `X-Spam-Flag: YES` (which the recommended Sieve rule files into Junk),
//! and `--learn-ham` teaches the configured classifier that it was ham.

use super::escape::{RULES, moat_cmd};
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;
use crate::support::*;

/// Like `escape::start_holding`, with a classifier model file configured.
fn start_holding_with_model(backend: &FaultBackend) -> (Moat, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let yaml = Conf::for_backend(backend).render()
        + &format!(
            "rules:\n  files:\n    - {}\nquarantine:\n  path: {{DIR}}/quarantine\nbayes:\n  model: {{DIR}}/bayes.model\n",
            file.display()
        );
    (Moat::start(&yaml), rules)
}

fn hold(moat: &Moat, subject: &str) -> String {
    let msg = format!(
        "From: Ann <ann@sender.test>\r\nTo: alice@example.test\r\nSubject: HOLDME {subject}\r\nX-Spam-Flag: YES\r\n\r\nthe quarterly report\r\n"
    );
    let (mut c, _) = connect_ehlo(moat);
    let sent = transact(
        &mut c,
        "ann@sender.test",
        &["alice@example.test"],
        msg.as_bytes(),
    );
    assert!(sent.delivered(), "held with 250: {sent:?}");
    let list = moat_cmd(moat, &["quarantine", "list"]);
    let rows = String::from_utf8(list.stdout).unwrap();
    let row = rows.lines().find(|l| l.contains(subject)).expect("held");
    row.split('\t').next().unwrap().to_string()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn released_message_carries_no_spam_flag_and_says_it_was_released() {
    let backend = FaultBackend::normal();
    let (moat, _rules) = start_holding_with_model(&backend);
    let id = hold(&moat, "first");
    let out = moat_cmd(&moat, &["quarantine", "release", &id]);
    assert!(out.status.success(), "{}", text(&out));
    let got = backend.messages_containing("HOLDME first");
    assert_eq!(got.len(), 1);
    let t = got[0].text();
    let head = t.split("\r\n\r\n").next().unwrap();
    assert!(head.contains("X-Spam-Flag: NO\r\n"), "{head}");
    assert!(!head.contains("X-Spam-Flag: YES"), "{head}");
    assert!(head.contains("X-Spam-Level: \r\n"), "{head}");
    assert!(
        head.contains(" by operator\r\n") && head.contains("X-Moat-Released: 20"),
        "{head}"
    );
    assert!(
        head.contains("held with score=12.0 tests=TEST_HOLD"),
        "{head}"
    );
    assert_eq!(head.matches("X-Spam-Flag").count(), 1, "{head}");
    // Nothing learned unless asked.
    assert!(!moat.dir().join("bayes.model").exists());
}

#[test]
fn release_learn_ham_learns_into_the_configured_model() {
    let backend = FaultBackend::normal();
    let (moat, _rules) = start_holding_with_model(&backend);
    let id = hold(&moat, "second");
    let out = moat_cmd(&moat, &["quarantine", "release", "--learn-ham", &id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("learned as ham into") && text(&out).contains("Ham: 1 learned"),
        "{}",
        text(&out)
    );
    assert!(moat.dir().join("bayes.model").is_file());
    assert_eq!(backend.messages_containing("HOLDME second").len(), 1);
}

#[test]
fn release_learn_ham_without_classifier_is_refused_and_keeps_the_message() {
    let backend = FaultBackend::normal();
    let (moat, _rules) = super::escape::start_holding(&backend);
    let id = hold(&moat, "third");
    let out = moat_cmd(&moat, &["quarantine", "release", "--learn-ham", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("--learn-ham needs a classifier"),
        "{}",
        text(&out)
    );
    assert!(backend.messages_containing("HOLDME third").is_empty());
    let list = moat_cmd(&moat, &["quarantine", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains(&id),
        "still held"
    );
}
