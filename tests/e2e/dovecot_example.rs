//! deploy/examples/dovecot.md run as written against a real Dovecot.
//!
//! Issue: the page enabled Sieve without naming `dovecot-sieve`; Dovecot LMTP then died with
//! `Plugin 'sieve' not found` and Moat answered 451 to every message. The test takes the
//! page's blocks as they are, changing only ports, paths and the domain to the test's own.

use super::*;

/// The fenced blocks of a Markdown page: (info string, body).
fn blocks(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut parts = page.split("```").skip(1);
    while let Some(block) = parts.next() {
        let (info, body) = block.split_once('\n').unwrap_or((block, ""));
        out.push((info.trim().to_string(), body.to_string()));
        parts.next(); // the prose between two blocks
    }
    out
}

/// The block whose first line names `file`.
fn file_block<'a>(all: &'a [(String, String)], file: &str) -> &'a str {
    all.iter()
        .find(|(_, body)| {
            body.lines()
                .next()
                .unwrap_or("")
                .starts_with(&format!("# {file}"))
        })
        .map(|(_, body)| body.as_str())
        .unwrap_or_else(|| panic!("dovecot.md has no block for {file}"))
}

#[test]
fn e2e_dovecot_example_as_written_files_spam_into_junk() {
    let test = "e2e_dovecot_example_as_written_files_spam_into_junk";
    if !tools::have(test, &["swaks", "sievec"]) {
        return;
    }
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples/dovecot.md"),
    )
    .unwrap();
    let all = blocks(&page);
    let install = &all.iter().find(|(info, _)| info == "sh").unwrap().1;
    assert!(
        install.contains("dovecot-sieve"),
        "the page installs the Sieve plugin"
    );

    // Dovecot: the page's configuration files, on the test's LMTP port and directory.
    let local = |text: &str| {
        text.replace("port = 24", "port = {LMTP_PORT}")
            .replace("/etc/dovecot/sieve", "{DIR}/sieve")
    };
    let extra: String = [
        "/etc/dovecot/conf.d/10-master.conf",
        "/etc/dovecot/conf.d/20-lmtp.conf",
        "/etc/dovecot/conf.d/90-sieve.conf",
    ]
    .iter()
    .map(|file| local(file_block(&all, file)))
    .collect();
    let script = file_block(&all, "/etc/dovecot/sieve/moat-junk.sieve").to_string();
    let prepare = |dir: &Path| {
        // What the page says to do: write the script, compile it with sievec.
        let sieve = dir.join("sieve");
        std::fs::create_dir(&sieve).unwrap();
        tools::chmod(&sieve, 0o755);
        let path = sieve.join("moat-junk.sieve");
        std::fs::write(&path, &script).unwrap();
        let out = Command::new(tools::find_program("sievec").unwrap())
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sievec: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let Some(dovecot) = Dovecot::start_with_extra_or_skip(test, &extra, &prepare) else {
        return;
    };

    // Moat: the page's moat.yaml, on the test's ports and domain, plus one local rule that
    // marks (score 6: between add_header 4 and quarantine 10) what the test calls spam.
    let (_, moat_yaml) = all.iter().find(|(info, _)| info == "yaml").unwrap();
    let rules = tempfile::tempdir().unwrap();
    let rule_file = rules.path().join("mark.yaml");
    std::fs::write(
        &rule_file,
        "rules:\n  - id: E2E_MARK\n    description: mark\n    target: subject\n    regex: e2e-mark\n    score: 6\n  - id: E2E_HOLD\n    description: hold\n    target: subject\n    regex: e2e-hold\n    score: 12\n",
    )
    .unwrap();
    let yaml = moat_yaml
        .replace("0.0.0.0:25", "127.0.0.1:{PORT}")
        .replace("example.org", "example.test")
        .replace("127.0.0.1:24", &dovecot.lmtp.to_string())
        .replace("127.0.0.1:9925", "{ADMIN}")
        + &format!(
            "rules:\n  files: [builtin:default, {}]\n",
            rule_file.display()
        );
    let moat = Moat::start(&yaml);

    let clean = test_message("e2e-clean");
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &clean),
        &[],
    );
    let marked = test_message("e2e-mark");
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &marked),
        &[],
    );

    let inbox = dovecot.imap_messages("alice@example.test");
    assert_eq!(inbox.len(), 1, "the clean message in INBOX");
    assert!(String::from_utf8_lossy(&inbox[0]).contains("X-Spam-Flag: NO"));
    let junk = dovecot.imap_folder("alice@example.test", "Junk");
    assert_eq!(
        junk.len(),
        1,
        "the marked message filed into Junk by the page's Sieve script"
    );
    let text = String::from_utf8_lossy(&junk[0]);
    assert!(
        text.contains("X-Spam-Flag: YES") && text.contains("e2e-mark"),
        "{text}"
    );

    // Issue 18 item 9: a quarantined message the operator releases lands in INBOX, not back
    // in Junk through the same Sieve script (Moat rewrites its X-Spam-* on release).
    let held = test_message("e2e-hold");
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &held),
        &[],
    );
    let cli = |args: &[&str]| {
        Command::new(moat_bin())
            .args(["quarantine"])
            .args(args)
            .args(["--config", moat.config_path.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let list = String::from_utf8(cli(&["list"]).stdout).unwrap();
    let id = list
        .lines()
        .nth(1)
        .expect("one held message")
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let released = cli(&["release", &id]);
    assert!(released.status.success(), "{released:?}");
    let inbox = dovecot.imap_messages("alice@example.test");
    assert_eq!(inbox.len(), 2, "the released message in INBOX");
    assert_eq!(
        dovecot.imap_folder("alice@example.test", "Junk").len(),
        1,
        "Junk unchanged"
    );
}
