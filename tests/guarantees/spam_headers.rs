//! Headers Moat owns are entirely Moat's: whatever `X-Spam-*` field a sender writes (in any
//! case, folded or not) never reaches the backend, whether the message is accepted or marked;
//! the backend sees only the `X-Spam-Flag`, `X-Spam-Score`, `X-Spam-Level` and `X-Spam-Status`
//! Moat wrote.

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;

/// Forged fields of the kinds Sieve and procmail rules test, one folded over three lines.
const FORGED: &str = "X-Spam-Level: ********\r\n\
     x-spam-flag: NO\r\n\
     X-Spam-Report: \r\n\t* -100 USER_IN_WELCOMELIST forged\r\n\t*  0.0 NONE\r\n\
     X-Spam-Checker-Version: SpamAssassin 4.0.0 on\r\n forged.example\r\n\
     X-SPAM-Status: No, score=-100.0\r\n\ttests=USER_IN_WELCOMELIST\r\n\
     X-Spam-Score: -100\r\n";

/// A rule that marks messages whose subject says MARKME (score 6 ≥ add_header's 4).
const MARK_RULE: &str = "rules:\n  - id: TEST_MARK\n    description: marker\n    target: subject\n    regex: MARKME\n    score: 6\n";

fn send_forged(moat: &Moat, subject: &str) -> Outcome {
    let (mut c, _) = connect_ehlo(moat);
    let msg = format!(
        "From: a@sender.test\r\nTo: alice@example.test\r\n{FORGED}Subject: {subject}\r\n\
         Message-ID: <{}@sender.test>\r\n\r\nX-Spam-Level: a body line stays\r\n",
        subject.replace(' ', "-")
    );
    transact(
        &mut c,
        "a@sender.test",
        &["alice@example.test"],
        msg.as_bytes(),
    )
}

/// The `X-Spam-*` fields of the message the backend got for `subject` (unfolded).
fn spam_fields(backend: &FaultBackend, subject: &str) -> Vec<(String, String)> {
    let got = backend.messages_containing(subject);
    assert_eq!(got.len(), 1, "one message relayed for {subject}");
    let text = got[0].text();
    assert!(
        text.contains("\r\n\r\nX-Spam-Level: a body line stays\r\n"),
        "body untouched: {text}"
    );
    assert!(
        !text.contains("USER_IN_WELCOMELIST") && !text.contains("forged.example"),
        "no folded line of a forged field survives: {text}"
    );
    headers(text.as_bytes())
        .into_iter()
        .filter(|(name, _)| name.to_ascii_lowercase().starts_with("x-spam-"))
        .collect()
}

#[test]
fn forged_x_spam_level_and_every_x_spam_header_never_reach_the_backend() {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("mark.yaml");
    std::fs::write(&file, MARK_RULE).unwrap();
    let backend = FaultBackend::normal();
    let yaml = Conf::for_backend(&backend).render()
        + &format!(
            "rules:\n  files:\n    - builtin:default\n    - {}\n",
            file.display()
        );
    let moat = Moat::start(&yaml);

    assert!(send_forged(&moat, "plain hello").delivered());
    let fields = spam_fields(&backend, "plain hello");
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "X-Spam-Flag",
            "X-Spam-Score",
            "X-Spam-Level",
            "X-Spam-Status"
        ],
        "{fields:?}"
    );
    assert_eq!(fields[0].1, "NO");
    assert!(!fields[1].1.starts_with('-'), "Moat's score: {fields:?}");
    assert!(
        fields[2].1.len() < 8,
        "Moat's level, not the forged one: {fields:?}"
    );

    assert!(send_forged(&moat, "MARKME please").delivered());
    let fields = spam_fields(&backend, "MARKME please");
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "X-Spam-Flag",
            "X-Spam-Score",
            "X-Spam-Level",
            "X-Spam-Status"
        ],
        "{fields:?}"
    );
    assert_eq!(fields[0].1, "YES");
    assert!(fields[3].1.contains("TEST_MARK"), "{fields:?}");
}
