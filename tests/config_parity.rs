//! `moat check-config` accepts exactly what `moat serve` accepts: a table of broken
//! configurations, each given to both binaries' commands. Both must refuse — serve exits
//! non-zero before it listens, check-config exits 1 — with the same list of errors, each
//! naming file, line and key. And what serve accepts, check-config accepts too.

mod common;

use common::moat::moat_bin;
use common::tools::{self_signed, transcript};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The start of every case's configuration; the case appends its sections.
const BASE: &str = "hostname: mx.parity.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: ./mail\nadmin:\n  listen: \"\"\n";

const GOOD_RULE: &str = "rules:\n  - id: PARITY_GOOD\n    description: a rule that compiles\n    target: subject\n    regex: 'hello'\n    score: 1\n";

struct Case {
    name: &'static str,
    /// Appended to `BASE`; `{DIR}` is the case's directory.
    yaml: &'static str,
    /// Files written into the case's directory first.
    files: &'static [(&'static str, &'static str)],
    /// Expected errors: (file in the case's directory, text of the line, key). The line is
    /// the first one of that file containing the text.
    expect: &'static [(&'static str, &'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "state.ca missing",
        yaml: "state:\n  backend: redis\n  url: rediss://127.0.0.1:6380\n  ca: nothere.pem\n",
        files: &[],
        expect: &[("moat.yaml", "ca: nothere", "state.ca")],
    },
    Case {
        name: "tls certificate missing",
        yaml: "tls:\n  certificate: nothere.pem\n  key: good.key\n",
        files: &[],
        expect: &[("moat.yaml", "certificate:", "tls.certificate")],
    },
    Case {
        name: "tls key missing",
        yaml: "tls:\n  certificate: good.pem\n  key: nothere.key\n",
        files: &[],
        expect: &[("moat.yaml", "key: nothere", "tls.key")],
    },
    Case {
        name: "tls certificate and key both missing: two errors",
        yaml: "tls:\n  certificate: nothere.pem\n  key: nothere.key\n",
        files: &[],
        expect: &[
            ("moat.yaml", "certificate:", "tls.certificate"),
            ("moat.yaml", "key: nothere", "tls.key"),
        ],
    },
    Case {
        name: "tls certificate garbage",
        yaml: "tls:\n  certificate: garbage.pem\n  key: good.key\n",
        files: &[("garbage.pem", "this is not a certificate\n")],
        expect: &[("moat.yaml", "certificate:", "tls.certificate")],
    },
    Case {
        name: "tls certificate with a PEM block that is not a certificate",
        yaml: "tls:\n  certificate: fake.pem\n  key: good.key\n",
        files: &[(
            "fake.pem",
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )],
        expect: &[("moat.yaml", "certificate:", "tls.certificate")],
    },
    Case {
        name: "tls key garbage",
        yaml: "tls:\n  certificate: good.pem\n  key: garbage.key\n",
        files: &[("garbage.key", "not a key\n")],
        expect: &[("moat.yaml", "key: garbage", "tls.key")],
    },
    Case {
        name: "tls key of another certificate",
        yaml: "tls:\n  certificate: good.pem\n  key: other.key\n",
        files: &[],
        expect: &[("moat.yaml", "key: other", "tls.key")],
    },
    Case {
        name: "tls certificate unreadable (a directory)",
        yaml: "tls:\n  certificate: adir\n  key: good.key\n",
        files: &[("adir/x", "")],
        expect: &[("moat.yaml", "certificate:", "tls.certificate")],
    },
    Case {
        name: "rule file with a bad regex",
        yaml: "rules:\n  files: [bad.yaml]\n",
        files: &[(
            "bad.yaml",
            "rules:\n  - id: BAD_REGEX\n    description: x\n    target: body\n    regex: '(unclosed'\n    score: 1\n",
        )],
        expect: &[("bad.yaml", "id: BAD_REGEX", "rules.files")],
    },
    Case {
        name: "rule file that is not YAML",
        yaml: "rules:\n  files: [bad.yaml]\n",
        files: &[("bad.yaml", "rules: [\n  - id: X\n")],
        expect: &[("bad.yaml", "- id: X", "rules.files")],
    },
    Case {
        name: "rule file with an unknown key",
        yaml: "rules:\n  files: [bad.yaml]\n",
        files: &[(
            "bad.yaml",
            "rules:\n  - id: TYPO\n    description: x\n    target: body\n    regx: 'a'\n    score: 1\n",
        )],
        expect: &[("bad.yaml", "regx:", "rules.files")],
    },
    Case {
        name: "rule file missing, and another broken: both",
        yaml: "rules:\n  files: [good.yaml, nothere.yaml, bad.yaml]\n",
        files: &[
            ("good.yaml", GOOD_RULE),
            (
                "bad.yaml",
                "rules:\n  - id: BAD_FORCE\n    description: x\n    target: body\n    regex: 'a'\n    score: 1\n    force: explode\n",
            ),
        ],
        expect: &[
            ("moat.yaml", "files:", "rules.files"),
            ("bad.yaml", "id: BAD_FORCE", "rules.files"),
        ],
    },
    Case {
        name: "list file missing",
        yaml: "lists:\n  deny:\n    clients:\n      - file: nothere.txt\n",
        files: &[],
        expect: &[("moat.yaml", "- file: nothere", "lists.deny.clients[0]")],
    },
    Case {
        name: "list file with a garbage CIDR",
        yaml: "lists:\n  allow:\n    clients: [{file: clients.txt}]\n",
        files: &[("clients.txt", "192.0.2.0/24\n10.0.0.0/40\n")],
        expect: &[("moat.yaml", "clients:", "lists.allow.clients[0]")],
    },
    Case {
        name: "several type errors at once",
        yaml: "limits:\n  max_recipients: lots\n  max_connections: -5\nlog:\n  format: xml\nshutdown_grace: [1]\n",
        files: &[],
        expect: &[
            ("moat.yaml", "max_recipients:", "limits.max_recipients"),
            ("moat.yaml", "max_connections:", "limits.max_connections"),
            ("moat.yaml", "format:", "log.format"),
            ("moat.yaml", "shutdown_grace:", "shutdown_grace"),
        ],
    },
    Case {
        name: "unknown keys at several levels",
        yaml: "tsl:\n  certificate: a.pem\nlimits:\n  max_recipents: 5\n  timeouts:\n    comand: 5s\n",
        files: &[],
        expect: &[
            ("moat.yaml", "tsl:", "tsl"),
            ("moat.yaml", "max_recipents:", "limits.max_recipents"),
            ("moat.yaml", "comand:", "limits.timeouts.comand"),
        ],
    },
    Case {
        name: "bad durations and sizes",
        yaml: "limits:\n  max_message_size: 25 parsecs\n  max_data_line: lots\n  timeouts:\n    command: soon\ndns:\n  timeout: 5 fortnights\n",
        files: &[],
        expect: &[
            ("moat.yaml", "max_message_size:", "limits.max_message_size"),
            ("moat.yaml", "max_data_line:", "limits.max_data_line"),
            ("moat.yaml", "command: soon", "limits.timeouts.command"),
            ("moat.yaml", "timeout: 5", "dns.timeout"),
        ],
    },
    Case {
        name: "classifier settings that cannot work",
        yaml: "bayes:\n  model: bayes.model\n  storage: redis\n  scores:\n    BAYES_98: 1\n",
        files: &[],
        expect: &[
            ("moat.yaml", "storage:", "bayes.storage"),
            ("moat.yaml", "BAYES_98:", "bayes.scores.BAYES_98"),
        ],
    },
    Case {
        name: "public suffix list missing",
        yaml: "reputation:\n  uribl: [uribl.test]\n  public_suffix_list: nothere.dat\n",
        files: &[],
        expect: &[(
            "moat.yaml",
            "public_suffix_list:",
            "reputation.public_suffix_list",
        )],
    },
    Case {
        name: "errors of every stage in one run: type, TLS, rules, semantic",
        yaml: "limits:\n  max_recipients: lots\n  max_command_line: 100\ntls:\n  certificate: good.pem\n  key: other.key\nrules:\n  files: [bad.yaml]\n",
        files: &[(
            "bad.yaml",
            "rules:\n  - id: BAD_REGEX\n    description: x\n    target: body\n    regex: '['\n    score: 1\n",
        )],
        expect: &[
            ("moat.yaml", "max_recipients:", "limits.max_recipients"),
            ("moat.yaml", "max_command_line:", "limits.max_command_line"),
            ("moat.yaml", "key: other", "tls.key"),
            ("bad.yaml", "id: BAD_REGEX", "rules.files"),
        ],
    },
    Case {
        name: "not YAML at all",
        yaml: "limits:\n  max_recipients: 'unclosed\n",
        files: &[],
        expect: &[("moat.yaml", "", "")],
    },
];

#[test]
fn check_config_and_serve_refuse_the_same_broken_configs() {
    // The cases are independent (a directory and two processes each): run side by side.
    let results: Vec<(&str, Result<(), String>)> = std::thread::scope(|s| {
        let running: Vec<_> = CASES
            .iter()
            .map(|case| (case.name, s.spawn(move || run_case(case))))
            .collect();
        running
            .into_iter()
            .map(|(name, t)| (name, t.join().unwrap()))
            .collect()
    });
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|(name, r)| r.err().map(|why| format!("── {name}:\n{why}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// A model file that is damaged is what serve logs and runs without (the classifier stays
/// silent, tests/bayes.rs): check-config accepts it too, and says the same thing.
#[test]
fn check_config_accepts_what_serve_accepts_with_a_damaged_model() {
    let dir = case_dir(
        "bayes:\n  model: bayes.model\n",
        &[("bayes.model", "MOATBAY2 but cut short")],
    );
    let checked = check_config(dir.path());
    let said = transcript(&checked);
    assert_eq!(checked.status.code(), Some(0), "{said}");
    assert!(
        said.contains("is corrupt"),
        "the warning serve logs:\n{said}"
    );
    let served = serve_until_listening(dir.path());
    assert!(served.contains("is corrupt"), "{served}");
}

/// A model of an older format (other tokens) is refused with a reason that says to learn
/// again, by check-config and serve alike; Moat keeps serving without the classifier.
#[test]
fn model_of_an_older_format_is_refused_with_learn_again() {
    let dir = case_dir(
        "bayes:\n  model: bayes.model\n",
        &[("bayes.model", "MOATBAY1 a model of the version 1 tokens")],
    );
    let checked = check_config(dir.path());
    let said = transcript(&checked);
    assert_eq!(checked.status.code(), Some(0), "{said}");
    assert!(
        said.contains("older Moat") && said.contains("learn again"),
        "{said}"
    );
    let served = serve_until_listening(dir.path());
    assert!(served.contains("older Moat"), "{served}");
}

#[test]
fn check_config_accepts_a_valid_config_with_tls_and_rules() {
    let dir = case_dir(
        "tls:\n  certificate: good.pem\n  key: good.key\nrules:\n  files: [builtin:default, good.yaml]\nlists:\n  deny:\n    clients: [{file: clients.txt}]\n",
        &[("good.yaml", GOOD_RULE), ("clients.txt", "192.0.2.0/24\n")],
    );
    let checked = check_config(dir.path());
    assert_eq!(checked.status.code(), Some(0), "{}", transcript(&checked));
    assert!(transcript(&checked).contains("configuration is valid"));
    serve_until_listening(dir.path());
}

/// Writes the case's files (and a good and another certificate) and its configuration.
fn case_dir(yaml: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path(), "good", "mx.parity.test", "DNS:mx.parity.test");
    self_signed(dir.path(), "other", "other.test", "DNS:other.test");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.path().join("moat.yaml"), format!("{BASE}{yaml}")).unwrap();
    dir
}

fn run_case(case: &Case) -> Result<(), String> {
    let dir = case_dir(case.yaml, case.files);
    let checked = check_config(dir.path());
    let check_said = transcript(&checked);
    if checked.status.code() != Some(1) {
        return Err(format!("check-config did not exit 1:\n{check_said}"));
    }
    let (serve_code, serve_said) = serve_to_exit(dir.path())?;
    if serve_code == Some(0) || serve_said.contains("listening") {
        return Err(format!(
            "serve did not refuse before listening:\n{serve_said}"
        ));
    }
    let (check_errors, serve_errors) = (error_lines(&check_said), error_lines(&serve_said));
    if check_errors != serve_errors || check_errors.is_empty() {
        return Err(format!(
            "different errors:\ncheck-config:\n{check_said}\nserve:\n{serve_said}"
        ));
    }
    for (file, line_text, key) in case.expect {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.contains(line_text))
            .unwrap_or(0)
            + 1;
        let want = match key.is_empty() {
            true => format!("{}:", path.display()),
            false => format!("{}:{line}: {key}: ", path.display()),
        };
        if !check_errors.iter().any(|e| e.starts_with(&want)) {
            return Err(format!("no error starts with `{want}`:\n{check_said}"));
        }
    }
    if check_errors.len() != case.expect.len() {
        return Err(format!(
            "{} errors expected, {} reported:\n{check_said}",
            case.expect.len(),
            check_errors.len()
        ));
    }
    Ok(())
}

/// The error lines of a `N configuration errors:` report, without the indentation.
fn error_lines(said: &str) -> Vec<String> {
    said.lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(str::to_string)
        .collect()
}

/// The binary under test. `MOAT_BIN` points at a copy when several checkouts share one
/// target directory (each build replaces the `moat` binary there).
fn bin() -> String {
    std::env::var("MOAT_BIN").unwrap_or_else(|_| moat_bin().to_string())
}

fn check_config(dir: &Path) -> Output {
    Command::new(bin())
        .args(["check-config", "--config"])
        .arg(dir.join("moat.yaml"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run moat check-config")
}

fn serve(dir: &Path) -> std::process::Child {
    Command::new(bin())
        .args(["serve", "--config"])
        .arg(dir.join("moat.yaml"))
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start moat serve")
}

/// Runs serve, which must exit by itself (it refuses the configuration) within the deadline.
fn serve_to_exit(dir: &Path) -> Result<(Option<i32>, String), String> {
    let mut child = serve(dir);
    let mut stderr = child.stderr.take().unwrap();
    // stderr reaches its end when serve exits: that is the signal, with a 30 s bound.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(said) => Ok((child.wait().unwrap().code(), said)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "serve still running after 30s:\n{}",
                rx.recv().unwrap_or_default()
            ))
        }
    }
}

/// Runs serve until it logs that it listens, then stops it; its log so far.
fn serve_until_listening(dir: &Path) -> String {
    use std::io::BufRead;
    let mut child = serve(dir);
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    for line in stderr.lines().map_while(Result::ok) {
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(log.contains("listening"), "serve did not start:\n{log}");
    log
}
