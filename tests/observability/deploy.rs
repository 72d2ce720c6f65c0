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

/// The highest offline security exposure the shipped unit may have (1.7 "OK" when written).
const MAX_EXPOSURE: f64 = 1.7;

/// `verify` accepts the unit, and `security --offline` rates its exposure at most 1.7.
#[test]
fn systemd_analyze_verifies_the_unit() {
    // Debian's systemd package, on the machine wherever systemd is the init system.
    if !tools::have("systemd_analyze_verifies_the_unit", &["systemd-analyze"]) {
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
    let args = [
        "security",
        "--offline=yes",
        "--no-pager",
        path.to_str().unwrap(),
    ];
    let (_, out) = run("systemd-analyze", &args, "");
    let exposure: f64 = out
        .lines()
        .find_map(|l| l.split("exposure level for moat.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{out}"));
    assert!(exposure <= MAX_EXPOSURE, "exposure {exposure}:\n{out}");
}
