//! `quarantine.path` is relative to the configuration file, for the server and the command
//! line alike, and `list` says which store it read.

use super::escape::RULES;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::{Moat, moat_bin};
use crate::support::Conf;
use std::process::Command;

/// Sends one message the rules quarantine; the reply to its end of data.
fn hold_one(moat: &Moat) -> String {
    let mut c = crate::common::client::TcpClient::connect(moat.addr);
    assert!(c.reply().starts_with("220"));
    for (line, want) in [
        ("EHLO client.test", "250"),
        ("MAIL FROM:<a@origin.test>", "250"),
        ("RCPT TO:<alice@example.test>", "250"),
        ("DATA", "354"),
    ] {
        let reply = c.cmd(line);
        assert!(reply.starts_with(want), "{line}: {reply}");
    }
    c.cmd("Subject: HOLDME\r\n\r\nbody\r\n.")
}

/// The reply docs/replies.md gives for `situation` (its table's second column, unquoted).
fn documented_reply(situation: &str) -> String {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/replies.md"),
    )
    .unwrap();
    let row = page
        .lines()
        .find(|l| l.starts_with(&format!("| {situation} |")))
        .unwrap_or_else(|| panic!("docs/replies.md has no row for {situation}"));
    row.split('|')
        .nth(2)
        .unwrap()
        .trim()
        .trim_matches('`')
        .to_string()
}

/// Issue: a quarantined message was answered `250 2.2.0` (a mailbox status code) while
/// docs/replies.md promised `250 2.0.0`. The server's reply is the documented one (the
/// reference id Moat appends aside).
#[test]
fn quarantine_reply_is_the_documented_one() {
    let backend = FaultBackend::normal();
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let yaml = Conf::for_backend(&backend).render()
        + &format!(
            "rules:\n  files:\n    - {}\nquarantine:\n  path: held\n",
            file.display()
        );
    let moat = Moat::start(&yaml);
    let reply = hold_one(&moat);
    let documented = documented_reply("the verdict quarantines a message (stored and fsync'd)");
    assert!(
        reply.starts_with(&documented),
        "sent {reply:?}, documented {documented:?}"
    );
}

/// Issue: the path was relative to the working directory, so `moat quarantine list` run
/// from anywhere but the server's directory silently listed an empty store.
#[test]
fn quarantine_list_from_another_directory_reads_the_configured_store() {
    let backend = FaultBackend::normal();
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let yaml = Conf::for_backend(&backend).render()
        + &format!(
            "rules:\n  files:\n    - {}\nquarantine:\n  path: held\n",
            file.display()
        );
    let moat = Moat::start(&yaml);
    let reply = hold_one(&moat);
    assert!(reply.starts_with("250 "), "{reply}");

    let elsewhere = tempfile::tempdir().unwrap();
    let list = Command::new(moat_bin())
        .args(["quarantine", "list", "--config"])
        .arg(&moat.config_path)
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    let rows = String::from_utf8(list.stdout).unwrap();
    let mut lines = rows.lines();
    assert_eq!(
        lines.next(),
        Some(moat::store::quarantine::print::LIST_HEADER)
    );
    let row = lines.next().expect("the held message");
    let time = row.split('\t').nth(1).unwrap();
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
    let store = moat.dir().join("held");
    let stderr = String::from_utf8(list.stderr).unwrap();
    assert!(
        stderr.contains(&format!("quarantine {}: 1 held", store.display())),
        "{stderr}"
    );
}
