//! Verdict actions against real Dovecot: marked, refused, quarantined and released.

use super::*;

/// Verdict actions into real Dovecot: a message over `add_header` arrives marked with the rule
/// list in X-Spam-Status; one over `reject` gets 550 and never arrives; one over `quarantine`
/// is stored, listed, and after `release` reads back over IMAP exactly once.
#[test]
fn e2e_verdict_actions_into_dovecot_mark_reject_quarantine_release() {
    let test = "e2e_verdict_actions_into_dovecot_mark_reject_quarantine_release";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let rules_dir = tempfile::tempdir().unwrap();
    let rules = rules_dir.path().join("local.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - id: E2E_MARK\n    description: mark\n    target: subject\n    regex: e2e-mark\n    score: 6\n\
         \x20 - id: E2E_HOLD\n    description: hold\n    target: subject\n    regex: e2e-hold\n    score: 11\n\
         \x20 - id: E2E_REFUSE\n    description: refuse\n    target: subject\n    regex: e2e-refuse\n    score: 30\n",
    )
    .unwrap();
    let extra = format!(
        "rules:\n  files:\n    - builtin:default\n    - {}\nquarantine:\n  path: {{DIR}}/quarantine\n",
        rules.display()
    );
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), &extra));
    let cli = |args: &[&str]| {
        Command::new(moat_bin())
            .args(["quarantine", "--config"])
            .arg(&moat.config_path)
            .args(args)
            .output()
            .unwrap()
    };

    let marked = test_message("e2e-mark");
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &marked),
        &[],
    );
    let refused = test_message("e2e-refuse");
    let out = swaks_output(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &refused),
        &[],
    );
    assert!(
        transcript(&out).contains("<** 550 5.7.1"),
        "{}",
        transcript(&out)
    );
    let held = test_message("e2e-hold");
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &held),
        &[],
    );

    let imap = dovecot.imap_messages("alice@example.test");
    assert_eq!(imap.len(), 1, "only the marked message arrived");
    let headers = unfold(&String::from_utf8_lossy(&imap[0]));
    assert!(
        headers.iter().any(|h| h == "X-Spam-Flag: YES"),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("X-Spam-Status: Yes, score=6.0 required=4.0 tests=E2E_MARK")),
        "{headers:?}"
    );
    assert_relayed_by_moat(&imap[0], &marked, "IMAP");

    let list = cli(&["list"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains("E2E_HOLD") && listed.contains("e2e-hold"),
        "{listed}"
    );
    let id = listed
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let release = cli(&["release", &id]);
    assert!(
        release.status.success(),
        "{}",
        String::from_utf8_lossy(&release.stderr)
    );
    assert!(
        !cli(&["release", &id]).status.success(),
        "a second release fails"
    );

    let imap = dovecot.imap_messages("alice@example.test");
    assert_eq!(imap.len(), 2, "the released message arrived once");
    let released: Vec<_> = imap.iter().filter(|m| m.ends_with(&held)).collect();
    assert_eq!(released.len(), 1);
    let text = String::from_utf8_lossy(released[0]);
    // Released: Moat's headers say so, and no Junk rule on X-Spam-Flag/-Level matches.
    assert!(
        text.contains("X-Spam-Flag: NO")
            && !text.contains("X-Spam-Flag: YES")
            && text.contains("X-Moat-Released: ")
            && text.contains("E2E_HOLD"),
        "{text}"
    );
}

/// A sender's own `X-Spam-*` fields (the ones Sieve and procmail rules test) never reach the
/// mailbox: swaks sends them through Moat into real Dovecot, and over IMAP and POP3 the
/// message carries only Moat's `X-Spam-Flag`, `X-Spam-Score` and `X-Spam-Status`.
#[test]
fn e2e_forged_x_spam_headers_never_reach_the_mailbox() {
    let test = "e2e_forged_x_spam_headers_never_reach_the_mailbox";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), ""));
    let forged = "X-Spam-Level: ****************\r\n\
                  X-Spam-Flag: NO\r\n\
                  X-Spam-Report: \r\n\t* -100 USER_IN_WELCOMELIST forged\r\n\
                  x-spam-checker-version: SpamAssassin 4.0.0\r\n";
    let original = test_message("e2e-forged-spam-headers");
    let mut sent = forged.as_bytes().to_vec();
    sent.extend_from_slice(&original);
    swaks(
        moat.addr,
        "alice@example.test",
        &message_file(moat.dir(), &sent),
        &[],
    );
    let imap = dovecot.imap_messages("alice@example.test");
    let pop3 = dovecot.pop3_messages("alice@example.test");
    for (via, got) in [("IMAP", &imap), ("POP3", &pop3)] {
        assert_eq!(got.len(), 1, "{via}");
        // What arrives is the message without the forged block, after Moat's own headers.
        assert_relayed_by_moat(&got[0], &original, via);
        let spam: Vec<String> = unfold(&String::from_utf8_lossy(&got[0]))
            .into_iter()
            .filter(|h| h.to_ascii_lowercase().starts_with("x-spam-"))
            .collect();
        let names: Vec<&str> = spam.iter().filter_map(|h| h.split(':').next()).collect();
        assert_eq!(
            names,
            [
                "X-Spam-Flag",
                "X-Spam-Score",
                "X-Spam-Level",
                "X-Spam-Status"
            ],
            "{via}: {spam:?}"
        );
        assert!(
            !spam.iter().any(|h| h.contains("****************")),
            "{via}: the forged level is gone: {spam:?}"
        );
        assert!(
            !String::from_utf8_lossy(&got[0]).contains("USER_IN_WELCOMELIST"),
            "{via}"
        );
    }
}
