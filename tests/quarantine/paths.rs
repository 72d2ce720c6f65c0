//! `quarantine.path` is relative to the configuration file, for the server and the command
//! line alike, and `list` says which store it read.

use super::escape::RULES;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::{Moat, moat_bin};
use crate::support::Conf;
use std::process::Command;

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
    let mut c = crate::common::moat::RawClient::connect(moat.addr);
    assert!(c.reply().starts_with("220"));
    for (line, want) in [
        ("EHLO client.test", "250"),
        ("MAIL FROM:<a@origin.test>", "250"),
        ("RCPT TO:<alice@example.test>", "250"),
        ("DATA", "354"),
        ("Subject: HOLDME\r\n\r\nbody\r\n.", "250"),
    ] {
        let reply = c.cmd(line);
        assert!(reply.starts_with(want), "{line}: {reply}");
    }

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
    assert_eq!(lines.next(), Some(moat::quarantine::print::LIST_HEADER));
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
