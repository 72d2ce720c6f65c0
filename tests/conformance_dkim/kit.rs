//! What every DKIM conformance case needs: dkimpy signing in one batch, RSA keys of a given
//! size, and one check that runs a list of cases through `moat serve` and `moat scan`.

use crate::harness::{self, World};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The author domain of every signed case (DMARC p=none in the harness zone).
pub const DOMAIN: &str = "nopolicy.test";

/// One message to sign: key, selector, `c=` as `header/body`, sign.py options.
pub struct Job<'a> {
    pub key: &'a Path,
    pub selector: &'a str,
    pub canon: &'a str,
    pub options: &'a [&'a str],
    pub message: Vec<u8>,
}

/// Signs every job with dkimpy in one Python process.
pub fn sign_all(jobs: &[Job<'_>]) -> Vec<Vec<u8>> {
    let json: Vec<serde_json::Value> = jobs
        .iter()
        .map(|j| {
            let mut args = vec![
                j.key.to_str().unwrap().to_string(),
                j.selector.to_string(),
                DOMAIN.to_string(),
                j.canon.to_string(),
            ];
            args.extend(j.options.iter().map(|o| o.to_string()));
            serde_json::json!({"args": args, "input": j.message})
        })
        .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance_dkim/sign.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (dkimpy: scripts/test.sh installs it)");
    let mut stdin = child.stdin.take().unwrap();
    let input = serde_json::to_vec(&json).unwrap();
    // Written from a thread: a large batch would otherwise fill both pipes.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "sign.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sign.py output")
}

/// An RSA key of `bits` made by openssl: its PEM file and the `p=` value.
pub struct RsaKey {
    pub pem: PathBuf,
    pub public_b64: String,
    _dir: tempfile::TempDir,
}

pub fn rsa_key(bits: u32) -> RsaKey {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("key.pem");
    let status = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&pem)
        .arg(bits.to_string())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl genrsa {bits} failed");
    let public = harness::run_forge(&["pubkey", pem.to_str().unwrap()], b"");
    RsaKey {
        pem,
        public_b64: String::from_utf8(public).unwrap().trim().to_string(),
        _dir: dir,
    }
}

/// A message from `a@nopolicy.test`; `extra` header lines go after Message-ID.
pub fn message(subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Sender <a@{DOMAIN}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: Thu, 26 Nov 2026 05:00:00 +0000\r\nMessage-ID: <{subject}@moat.test>\r\n\
         {extra}\r\n{body}"
    )
    .into_bytes()
}

/// One case: the message Moat receives (its Subject names it) and the `dkim=` clause it
/// must write, up to where `want` ends (the reason may go on).
pub struct Case {
    pub subject: String,
    pub message: Vec<u8>,
    pub want: String,
}

/// Sends every case through `moat serve`, then all through one `moat scan`; the clauses and
/// findings that differ from what the cases want, one line each.
pub fn run(world: &World, cases: &[Case]) -> Vec<String> {
    let mut wrong = Vec::new();
    for case in cases {
        let header = world.deliver(&case.subject, &case.message);
        let clause = header
            .split("; ")
            .find(|p| p.starts_with("dkim="))
            .unwrap_or("")
            .to_string();
        if !clause.starts_with(&case.want) {
            wrong.push(format!(
                "{}: {clause:?}, want {:?}",
                case.subject, case.want
            ));
        }
    }
    let messages: Vec<Vec<u8>> = cases.iter().map(|c| c.message.clone()).collect();
    for (case, findings) in cases.iter().zip(world.findings_all(&messages)) {
        let result = case.want.trim_start_matches("dkim=");
        let result = result.split([' ', '(']).next().unwrap_or("");
        let want = format!("DKIM_{}", result.to_ascii_uppercase());
        let (id, why) = harness::finding(&findings, "DKIM_");
        if *id != want {
            wrong.push(format!(
                "{}: finding {id} ({why}), want {want}",
                case.subject
            ));
        }
    }
    wrong
}

/// `wrong` is empty, else fails with every line and the figure.
pub fn assert_all(wrong: Vec<String>, cases: usize) {
    assert!(
        wrong.is_empty(),
        "{} of {cases} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Replaces the first occurrence of `from` with `to`.
pub fn replace(message: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(message.to_vec()).unwrap();
    assert!(s.contains(from), "{from:?} not in message");
    s.replacen(from, to, 1).into_bytes()
}
