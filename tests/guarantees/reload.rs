//! Guarantee 6: reload is all-or-nothing. A broken file leaves the running configuration in
//! place and says why; a good one takes effect for new sessions without a restart, while
//! sessions already running keep the configuration they started with.

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use std::process::Command;

fn hup(pid: u32) {
    let status = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn reload_broken_file_keeps_running_config_then_good_file_takes_effect() {
    let backend = FaultBackend::normal();
    // The session opened first idles through four reloads (two SIGHUPs, each followed by the
    // file watcher's): under load those took 10 s, the default command timeout of these
    // tests, and the session was closed before step 3.
    let moat = Conf::for_backend(&backend)
        .timeout("command", "60s")
        .timeout("session", "120s")
        .start();
    let original = std::fs::read_to_string(&moat.config_path).unwrap();

    // A session opened before any reload.
    let (mut before, _) = connect_ehlo(&moat);

    // 1. A broken file: the error names file, line and key; mail still flows.
    let broken = original.replace("domains:\n", "domains:\n  - new.test\nlimits_typo: 1\n");
    std::fs::write(&moat.config_path, broken).unwrap();
    hup(moat.pid());
    assert!(moat.wait_log("reload failed"), "log:\n{}", moat.log());
    assert!(
        // The error's lines follow the "reload failed" line: wait for them too.
        moat.wait_log("limits_typo"),
        "the error names the key"
    );
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "old config");
    expect(
        &c.cmd("RCPT TO:<bob@new.test>"),
        "550",
        "broken file not applied",
    );

    // 2. A good file: new sessions accept the new domain.
    let good = original.replace("domains:\n", "domains:\n  - new.test\n");
    std::fs::write(&moat.config_path, good).unwrap();
    hup(moat.pid());
    assert!(
        moat.wait_log("configuration reloaded"),
        "log:\n{}",
        moat.log()
    );
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<bob@new.test>"), "250", "new config");

    // 3. The session from before keeps the configuration it started with.
    expect(&before.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(
        &before.cmd("RCPT TO:<bob@new.test>"),
        "550",
        "old session, old config",
    );
    expect(
        &before.cmd("RCPT TO:<alice@example.test>"),
        "250",
        "old session",
    );
}
