//! A message quarantined by the real server, with a Subject built to attack the operator's
//! terminal, comes out of `moat quarantine list` and `show` escaped, and out of `show --raw`
//! byte for byte.

use crate::common::fault_backend::FaultBackend;
use crate::common::moat::{Moat, moat_bin};
use crate::support::*;
use std::process::{Command, Output};

pub const RULES: &str = r#"rules:
  - id: TEST_HOLD
    description: marker for quarantine
    target: subject
    regex: HOLDME
    score: 12
"#;

/// Moat in front of `backend`, quarantining every message whose Subject says HOLDME; the
/// directory holds its rule file (watched: keep it as long as Moat).
pub fn start_holding(backend: &FaultBackend) -> (Moat, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("local.yaml");
    std::fs::write(&file, RULES).unwrap();
    let yaml = Conf::for_backend(backend).render()
        + &format!(
            "rules:\n  files:\n    - {}\nquarantine:\n  path: {{DIR}}/quarantine\n",
            file.display()
        );
    (Moat::start(&yaml), rules)
}

pub fn moat_cmd(moat: &Moat, args: &[&str]) -> Output {
    Command::new(moat_bin())
        .args(args)
        .arg("--config")
        .arg(&moat.config_path)
        .current_dir(moat.dir())
        .output()
        .unwrap()
}

/// No byte a terminal acts on, other than `allowed`: C0, DEL, C1 (as UTF-8) and U+202E.
fn assert_terminal_safe(what: &str, out: &[u8], allowed: &[u8]) {
    let text = String::from_utf8(out.to_vec()).expect("escaped output is UTF-8");
    for c in text.chars() {
        let unsafe_char = c.is_control() || c == '\u{202e}';
        assert!(
            !unsafe_char || allowed.contains(&(c as u8)),
            "{what}: U+{:04X} reached the terminal:\n{text}",
            c as u32
        );
    }
}

#[test]
fn quarantine_cli_escapes_what_a_remote_sender_wrote() {
    let backend = FaultBackend::normal();
    let (moat, _rules) = start_holding(&backend);

    // A raw ESC sequence (retitle the terminal), then an encoded word that decodes to CR LF,
    // a forged tab-separated row, a C1 CSI and a bidi override.
    let subject = "HOLDME \x1b]0;owned\x07 =?UTF-8?Q?=0D=0A0-0=090=09score=3D0.0=09FAKE=C2=9B2J=E2=80=AEgnp.exe?=";
    let msg = format!(
        "From: Ann <ann@sender.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <hold@sender.test>\r\n\r\nbody \x1b[2J line\r\n"
    );
    let (mut c, _) = connect_ehlo(&moat);
    let sent = transact(
        &mut c,
        "ann@sender.test",
        &["alice@example.test"],
        msg.as_bytes(),
    );
    assert!(sent.delivered(), "quarantined with 250: {sent:?}");
    assert!(backend.messages_containing("HOLDME").is_empty());

    let list = moat_cmd(&moat, &["quarantine", "list"]);
    assert!(list.status.success(), "{list:?}");
    assert_terminal_safe("list", &list.stdout, b"\t\n");
    let rows = String::from_utf8(list.stdout).unwrap();
    assert_eq!(rows.lines().count(), 2, "header, no forged row:\n{rows}");
    let row = rows.lines().nth(1).unwrap();
    assert_eq!(row.split('\t').count(), 7, "no forged column:\n{rows}");
    assert!(rows.contains("\\x1b]0;owned\\x07"), "{rows}");
    assert!(
        rows.contains("\\r\\n0-0\\t0\\tscore=0.0\\tFAKE\\x9b2J\\u{202e}"),
        "{rows}"
    );
    let id = row.split('\t').next().unwrap();

    let show = moat_cmd(&moat, &["quarantine", "show", id]);
    assert!(show.status.success(), "{show:?}");
    assert_terminal_safe("show", &show.stdout, b"\t\n");
    let shown = String::from_utf8(show.stdout).unwrap();
    assert!(shown.contains("\nbody \\x1b[2J line\n"), "{shown}");

    let raw = moat_cmd(&moat, &["quarantine", "show", id, "--raw"]);
    assert!(raw.status.success(), "{raw:?}");
    let needle = b"body \x1b[2J line\r\n";
    assert!(
        raw.stdout.windows(needle.len()).any(|w| w == needle),
        "--raw prints the stored bytes"
    );

    let bad = moat_cmd(&moat, &["quarantine", "show", "../../etc/passwd"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("is not a quarantine id"),
        "{bad:?}"
    );
}
