//! Acceptance 3: the deploy/ files pass their validators (`promtool check rules`,
//! `systemd-analyze verify`), and the embedded default config enables the admin listener.

use super::support::*;
use crate::common::moat::moat_bin;
use crate::common::tools;

#[test]
fn promtool_accepts_the_alert_rules() {
    if !tools::have("promtool_rules", &["promtool"]) {
        return;
    }
    let path = repo("deploy/prometheus/alerts.yaml");
    let (ok, out) = run("promtool", &["check", "rules", path.to_str().unwrap()], "");
    assert!(ok, "{out}");
}

#[test]
fn systemd_analyze_verifies_the_unit() {
    // Not a package the suite installs: Debian has it wherever systemd is the init system.
    if tools::find_program("systemd-analyze").is_none() {
        eprintln!("SKIPPED systemd_analyze_verifies_the_unit: systemd-analyze not installed");
        return;
    }
    // `verify` checks that ExecStart exists: point it at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let unit = std::fs::read_to_string(repo("deploy/systemd/moat.service")).unwrap();
    assert!(unit.contains("/usr/local/bin/moat serve"));
    let path = dir.path().join("moat.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/moat", moat_bin())).unwrap();
    let (ok, out) = run("systemd-analyze", &["verify", path.to_str().unwrap()], "");
    assert!(
        ok && out.trim().is_empty(),
        "systemd-analyze verify:\n{out}"
    );
}
