//! Independent signatures for the tests: RSA keys from openssl, DKIM and ARC from dkimpy
//! (`sign.py`), so Moat's verifier is checked against another implementation.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// One RSA key pair per test process.
pub struct Key {
    pub private_pem: PathBuf,
    /// base64 DER SubjectPublicKeyInfo, for `p=` in a DKIM key record.
    pub public_b64: String,
    _dir: tempfile::TempDir,
}

pub fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let private_pem = dir.path().join("key.pem");
        let status = Command::new("openssl")
            .args(["genrsa", "-traditional", "-out"])
            .arg(&private_pem)
            .arg("2048")
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl genrsa failed");
        let der = Command::new("openssl")
            .args(["rsa", "-pubout", "-outform", "DER", "-in"])
            .arg(&private_pem)
            .stderr(Stdio::null())
            .output()
            .expect("openssl runs");
        assert!(der.status.success(), "openssl rsa -pubout failed");
        Key {
            private_pem,
            public_b64: base64(&der.stdout),
            _dir: dir,
        }
    })
}

/// The DKIM key record for `key()`.
pub fn key_record() -> String {
    format!("v=DKIM1; k=rsa; p={}", key().public_b64)
}

/// `message` with a DKIM-Signature by `d=domain s=selector` prepended (dkimpy).
pub fn dkim_sign(message: &[u8], selector: &str, domain: &str) -> Vec<u8> {
    run(message, &["dkim", selector, domain])
}

/// `message` with an ARC set by the forwarder `domain` prepended; `srv_id` is the
/// authserv-id of the forwarder's own Authentication-Results in the message.
pub fn arc_seal(message: &[u8], selector: &str, domain: &str, srv_id: &str) -> Vec<u8> {
    run(message, &["arc", selector, domain, srv_id])
}

fn run(message: &[u8], args: &[&str]) -> Vec<u8> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auth/sign.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(args[0])
        .arg(&key().private_pem)
        .args(&args[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (dkimpy: scripts/test.sh installs it)");
    child.stdin.take().unwrap().write_all(message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sign.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
