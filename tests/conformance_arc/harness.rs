//! The world of the ARC/DKIM conformance tests: a loopback DNS server with the keys, a
//! recording backend, and the `moat` binary serving with its resolver pointed at that DNS.

use crate::common::client::TcpClient;
use crate::common::dns::TestDns;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;
use crate::common::tools;
use crate::signer;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub const HOST: &str = "mx.moat.test";
pub const HELO: &str = "mail.sender.test";
/// The forwarder's envelope sender.
pub const BOUNCE: &str = "bounce@forward.test";
const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

pub struct World {
    _rt: tokio::runtime::Runtime,
    dns: TestDns,
    backend: FaultBackend,
    moat: Moat,
}

/// Skips (under `MOAT_E2E_OPTIONAL=1`) or fails when python3/openssl/dkimpy are missing.
pub fn tools_present(test: &str) -> bool {
    if !tools::have(test, &["python3", "openssl"]) {
        return false;
    }
    let dkimpy = Command::new("python3")
        .args(["-c", "import dkim, authres"])
        .status()
        .is_ok_and(|s| s.success());
    dkimpy || tools::skip(test, "python3 cannot import dkim and authres (dkimpy)")
}

impl World {
    /// `auth` is extra YAML under `auth:` (indented by 2).
    pub fn start(auth: &str) -> World {
        let (rt, dns) = TestDns::start_with_runtime();
        zone(&dns);
        let backend = FaultBackend::normal();
        let yaml = format!(
            "hostname: {HOST}\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
             backend:\n  protocol: smtp\n  address: {}\n\
             dns:\n  nameservers: [\"{}\"]\n  timeout: 2s\n  attempts: 1\n\
             auth:\n  enabled: true\n{auth}\n",
            backend.addr, dns.addr
        );
        let moat = Moat::start(&yaml);
        World {
            _rt: rt,
            dns,
            backend,
            moat,
        }
    }

    /// The loopback DNS server, for records a suite adds to the zone below.
    pub fn dns(&self) -> &TestDns {
        &self.dns
    }

    /// Sends `message` through `moat serve` and returns Moat's own Authentication-Results
    /// on the delivered copy, unfolded. `subject` finds the copy among the backend's.
    pub fn deliver(&self, subject: &str, message: &[u8]) -> String {
        let mut c = TcpClient::connect(self.moat.addr);
        assert!(c.reply().starts_with("220"));
        assert!(c.cmd(&format!("EHLO {HELO}")).starts_with("250"));
        assert!(c.cmd(&format!("MAIL FROM:<{BOUNCE}>")).starts_with("250"));
        assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
        assert!(c.cmd("DATA").starts_with("354"));
        c.send(message);
        c.send(b".\r\n");
        let reply = c.reply();
        c.cmd("QUIT");
        assert!(reply.starts_with("250"), "{subject}: {reply}");
        let copies = self
            .backend
            .messages_containing(&format!("Subject: {subject}\r\n"));
        let copy = copies.last().expect("delivered").text();
        ours(&copy).unwrap_or_else(|| panic!("{subject}: no Authentication-Results: {copy}"))
    }

    /// `moat scan --json` of `message` with the same envelope: (finding id, reason) pairs.
    pub fn findings(&self, message: &[u8]) -> Vec<(String, String)> {
        self.findings_all(&[message.to_vec()]).remove(0)
    }

    /// `findings` of many messages in one `moat scan` run.
    pub fn findings_all(&self, messages: &[Vec<u8>]) -> Vec<Vec<(String, String)>> {
        let files: Vec<PathBuf> = messages
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let file = self.moat.dir().join(format!("scan-{n}.eml"));
                std::fs::write(&file, m).unwrap();
                file
            })
            .collect();
        let out = Command::new(crate::common::moat::moat_bin())
            .args(["scan", "--json", "--client-ip", "127.0.0.1", "--helo", HELO])
            .args(["--mail-from", BOUNCE, "--config"])
            .arg(&self.moat.config_path)
            .args(&files)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut by_file: Vec<(String, Vec<(String, String)>)> = text
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "moat scan: {e}: {line} {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
                let findings = v["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["id"].as_str().unwrap().to_string(),
                            f["reason"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                (v["file"].as_str().unwrap().to_string(), findings)
            })
            .collect();
        files
            .iter()
            .map(|f| {
                let at = by_file
                    .iter()
                    .position(|(name, _)| Path::new(name) == f)
                    .unwrap_or_else(|| panic!("moat scan did not report {}: {text}", f.display()));
                by_file.swap_remove(at).1
            })
            .collect()
    }
}

/// The unfolded `Authentication-Results` field Moat wrote (its authserv-id first).
fn ours(text: &str) -> Option<String> {
    let header = text.split("\r\n\r\n").next().unwrap_or("");
    let mut fields: Vec<String> = Vec::new();
    for line in header.split("\r\n") {
        match fields.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => fields.push(line.to_string()),
        }
    }
    let prefix = format!("authentication-results: {HOST};");
    fields
        .into_iter()
        .find(|f| f.to_ascii_lowercase().starts_with(&prefix))
}

/// Domains:
/// - `nopolicy.test`: the author's domain (DMARC p=none, so no verdict refuses the mail);
///   keys `s1` (2048 bits), `s512` (512 bits), `bad` (not a key); `gone` has no record;
/// - `forward.test`: the forwarder, sealing with selector `arc`;
/// - `mail.sender.test`: the client's HELO name.
fn zone(dns: &TestDns) {
    let key = signer::key_record();
    dns.a(HELO, LOOPBACK);
    dns.txt(HELO, "v=spf1 a -all");
    for domain in ["nopolicy.test", "forward.test"] {
        dns.a(domain, LOOPBACK);
        dns.txt(domain, "v=spf1 ip4:127.0.0.1 -all");
        dns.txt(&format!("_dmarc.{domain}"), "v=DMARC1; p=none");
    }
    dns.txt("s1._domainkey.nopolicy.test", &key);
    dns.txt("arc._domainkey.forward.test", &key);
    dns.txt(
        "s512._domainkey.nopolicy.test",
        &format!("v=DKIM1; k=rsa; p={}", small_key().public_b64),
    );
    dns.txt("bad._domainkey.nopolicy.test", "v=DKIM1; k=rsa; p=AAAA");
    dns.txt("arcbad._domainkey.forward.test", "v=DKIM1; k=rsa; p=AAAA");
}

/// A 512-bit RSA key, made once per test process.
pub struct SmallKey {
    pub private_pem: PathBuf,
    /// base64 DER SubjectPublicKeyInfo.
    pub public_b64: String,
    _dir: tempfile::TempDir,
}

pub fn small_key() -> &'static SmallKey {
    static KEY: OnceLock<SmallKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let private_pem = dir.path().join("small.pem");
        let status = Command::new("openssl")
            .args(["genrsa", "-traditional", "-out"])
            .arg(&private_pem)
            .arg("512")
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl genrsa 512 failed");
        let public = run_forge(&["pubkey", private_pem.to_str().unwrap()], b"");
        SmallKey {
            private_pem,
            public_b64: String::from_utf8(public).unwrap().trim().to_string(),
            _dir: dir,
        }
    })
}

/// A message from `a@nopolicy.test` with the forwarder's own Authentication-Results (what
/// `arc_sign` seals), `extra` header lines first.
pub fn message(subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "{extra}Authentication-Results: lists.forward.test; dkim=pass header.d=nopolicy.test;\r\n\
         \tspf=pass smtp.mailfrom=nopolicy.test; dmarc=pass header.from=nopolicy.test\r\n\
         From: Sender <a@nopolicy.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: Thu, 26 Nov 2026 05:00:00 +0000\r\nMessage-ID: <{subject}@moat.test>\r\n\r\n\
         Hello Alice,\r\nthis is a test.\r\n"
    )
    .into_bytes()
}

/// `message` with an ARC set by `forward.test` (selector `selector`), broken by `mutation`
/// (see forge.py), for the authserv-id `srv_id`.
pub fn seal(message: &[u8], selector: &str, srv_id: &str, mutation: &str) -> Vec<u8> {
    seal_all(&[message.to_vec()], selector, srv_id, &[mutation]).remove(0)
}

/// `seal` of each message with its mutation, in one forge.py run.
pub fn seal_all(
    messages: &[Vec<u8>],
    selector: &str,
    srv_id: &str,
    mutations: &[&str],
) -> Vec<Vec<u8>> {
    let key = signer::key().private_pem.to_str().unwrap();
    let jobs = messages
        .iter()
        .zip(mutations)
        .map(|(m, mutation)| {
            let args = ["arc", key, selector, "forward.test", srv_id, mutation];
            (args.iter().map(|a| a.to_string()).collect(), m.clone())
        })
        .collect();
    forge_batch(jobs)
}

/// `message` with a DKIM signature by `nopolicy.test`, broken by `mutation`, signed with
/// `key` (default: the 2048-bit test key) and algorithm `alg`.
pub fn dkim(
    message: &[u8],
    selector: &str,
    mutation: &str,
    key: Option<&Path>,
    alg: &str,
) -> Vec<u8> {
    let key = key.unwrap_or(&signer::key().private_pem).to_str().unwrap();
    run_forge(
        &["dkim", key, selector, "nopolicy.test", mutation, alg],
        message,
    )
}

/// dkimpy's verdict on each chain (`pass`, `fail` or `none`, then its reason).
pub fn dkimpy_arc_all(messages: &[Vec<u8>]) -> Vec<String> {
    let record = signer::key_record();
    let jobs = messages
        .iter()
        .map(|m| (vec!["verify-arc".to_string(), record.clone()], m.clone()))
        .collect();
    forge_batch(jobs)
        .into_iter()
        .map(|out| String::from_utf8(out).unwrap().trim().to_string())
        .collect()
}

pub fn dkimpy_arc(message: &[u8]) -> String {
    dkimpy_arc_all(&[message.to_vec()]).remove(0)
}

/// Runs many forge.py jobs (arguments, input) in one Python process.
fn forge_batch(jobs: Vec<(Vec<String>, Vec<u8>)>) -> Vec<Vec<u8>> {
    let json: Vec<serde_json::Value> = jobs
        .into_iter()
        .map(|(args, input)| serde_json::json!({"args": args, "input": input}))
        .collect();
    let out = run_forge(&["batch"], serde_json::to_string(&json).unwrap().as_bytes());
    serde_json::from_slice(&out).expect("forge.py batch output")
}

pub fn run_forge(args: &[&str], input: &[u8]) -> Vec<u8> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance_arc/forge.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (dkimpy: scripts/test.sh installs it)");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: a large batch would otherwise fill both pipes.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "forge.py {:?} failed: {}",
        args.first(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The finding of `prefix` (`ARC_`, `DKIM_`) in `findings`.
pub fn finding<'a>(findings: &'a [(String, String)], prefix: &str) -> &'a (String, String) {
    findings
        .iter()
        .find(|(id, _)| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}* finding in {findings:?}"))
}
