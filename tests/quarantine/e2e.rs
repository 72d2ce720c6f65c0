//! With real programs: swaks sends the hostile message, and the operator's shell pipes
//! `moat quarantine` into `head` and `cat -v` as anyone would.

use super::escape::{moat_cmd, start_holding};
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::moat_bin;
use crate::common::tools::{self, swaks};
use std::process::Command;

#[test]
fn e2e_quarantine_cli_with_swaks_and_a_shell_pipe() {
    let test = "e2e_quarantine_cli_with_swaks_and_a_shell_pipe";
    if !tools::have(test, &["swaks", "bash", "head", "cat"]) {
        return;
    }
    let backend = FaultBackend::normal();
    let (moat, _rules) = start_holding(&backend);
    let data = moat.dir().join("hostile.eml");
    let mut body = String::new();
    for n in 0..20_000 {
        body.push_str(&format!("line {n} \x1b[5m blink\n"));
    }
    std::fs::write(
        &data,
        format!(
            "From: sender@origin.test\nTo: alice@example.test\nSubject: HOLDME \x1b]0;owned\x07 =?UTF-8?Q?=0D=0Afake=09row=E2=80=AE?=\n\n{body}"
        ),
    )
    .unwrap();
    swaks(moat.addr, "alice@example.test", &data, &[]);

    let list = moat_cmd(&moat, &["quarantine", "list"]);
    let rows = String::from_utf8(list.stdout).unwrap();
    assert_eq!(rows.lines().count(), 2, "header and one row: {rows}");
    let id = rows.lines().nth(1).unwrap().split('\t').next().unwrap();

    // `cat -v` shows ESC as `^[` and C0/C1 controls above 0x7f (a bidi override's bytes
    // among them) as `M-^…`: none may appear. (A bare `M-` is not enough to tell: the
    // reference id, `<session id>-<n>`, ends in `M-1` when the session id ends in M.)
    let shell = |pipeline: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -o pipefail; {pipeline}"))
            .env("MOAT", moat_bin())
            .env("CONF", &moat.config_path)
            .env("ID", id)
            .output()
            .unwrap()
    };
    let shown = shell(r#""$MOAT" quarantine show "$ID" --config "$CONF" | cat -v"#);
    assert!(shown.status.success(), "{shown:?}");
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(!text.contains("^[") && !text.contains("M-^"), "{text}");
    assert!(text.contains("line 0 \\x1b[5m blink\n"), "{text}");

    // `| head -1` closes the pipe while moat still writes (≈600 KiB): a quiet success.
    let head = shell(r#""$MOAT" quarantine show "$ID" --config "$CONF" | head -1"#);
    let stderr = String::from_utf8_lossy(&head.stderr);
    assert!(
        head.status.success(),
        "pipefail status {:?}: {stderr}",
        head.status
    );
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&head.stdout), format!("id: {id}\n"));
}
