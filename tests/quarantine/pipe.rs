//! Every command whose reader closes the pipe early exits 0 without a panic message (it used
//! to panic in `println!` and exit 101), and loses nothing it was doing.

use crate::common::moat::moat_bin;
use moat::config::policy::QuarantineConfig;
use moat::store::quarantine::{Meta, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A directory with the shipped configuration (its relative paths land here) and a quarantine
/// holding one 1 MiB message (more than a pipe buffers, so `show` is still writing when its
/// reader goes), and a few messages to scan and learn from.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

const ID: &str = "1764800000-00000-1-0";

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("moat-quarantine");
    let config = dir.path().join("moat.yaml");
    std::fs::write(&config, include_str!("../../config/moat.yaml")).unwrap();
    let store = Store::new(&QuarantineConfig {
        path: q,
        max_age: Duration::from_secs(3600),
        max_size: 1 << 30,
    });
    let mut message = b"Subject: big\r\n\r\n".to_vec();
    for n in 0..(1 << 20) / 16 {
        message.extend_from_slice(format!("line {n:09}\r\n").as_bytes());
    }
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store
        .store(
            &Meta {
                id: ID.into(),
                time,
                reference: "R".into(),
                client_ip: "192.0.2.1".into(),
                helo: "h".into(),
                mail_from: "a@b.test".into(),
                rcpt_to: vec!["u@example.test".into()],
                score: 12.0,
                tests: "X".into(),
                subject: "big".into(),
            },
            &message,
        )
        .unwrap();
    for class in ["spam", "ham"] {
        let d = dir.path().join(class);
        std::fs::create_dir(&d).unwrap();
        for n in 0..3 {
            std::fs::write(
                d.join(format!("{n}.eml")),
                format!("From: a@b.test\r\nSubject: {class} {n}\r\n\r\n{class} words {n}\r\n"),
            )
            .unwrap();
        }
    }
    Setup { dir, config }
}

fn moat(s: &Setup, args: &[&str]) -> Command {
    let mut c = Command::new(moat_bin());
    c.args(args)
        .arg("--config")
        .arg(&s.config)
        .current_dir(s.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs with stdout closed before the command writes anything.
fn with_closed_stdout(mut cmd: Command) -> Output {
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_show_piped_to_head_exits_quietly() {
    let s = setup();
    for raw in [false, true] {
        let mut cmd = moat(&s, &["quarantine", "show", ID]);
        if raw {
            cmd.arg("--raw");
        }
        let mut child = cmd.spawn().unwrap();
        // `| head -1`: read one line, then go away while moat is still writing.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let out = child.wait_with_output().unwrap();
        assert_quiet(&format!("show (raw: {raw})"), &out);
    }
}

#[test]
fn cli_every_command_exits_quietly_on_a_closed_pipe() {
    let s = setup();
    let d = s.dir.path();
    let model = d.join("model.bin");
    let eml = d.join("spam/0.eml");
    let (spam, ham) = (d.join("spam"), d.join("ham"));
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("quarantine list", vec!["quarantine", "list"]),
        ("quarantine show", vec!["quarantine", "show", ID]),
        ("scan", vec!["scan", "--explain", path(&eml)]),
        ("scan a directory", vec!["scan", path(&ham)]),
        ("rules test", vec!["rules", "test"]),
        ("check-config", vec!["check-config"]),
        (
            "learn",
            vec![
                "learn",
                "--model",
                path(&model),
                "--spam",
                path(&spam),
                "--ham",
                path(&ham),
            ],
        ),
    ];
    for (what, args) in commands {
        assert_quiet(what, &with_closed_stdout(moat(&s, &args)));
    }
    assert!(
        model.exists(),
        "learn saved its model although nobody read its report"
    );
}
