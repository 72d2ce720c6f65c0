//! A Moat with both doors on, and the messages the door tests send.

use crate::common::moat::Moat;
use std::net::SocketAddr;

pub const HOSTNAME: &str = "mx.doors.test";

/// A running `moat serve` with SMTP, the scan API and the milter on loopback ports.
pub struct Doors {
    pub moat: Moat,
    pub scan_api: SocketAddr,
    pub milter: SocketAddr,
}

/// Subject `doors-mark` scores 6 (add_header), `doors-hold` 11 (quarantine); GTUBE rejects.
pub const RULES: &str = "rules:\n  - id: DOORS_MARK\n    description: mark\n    target: subject\n    regex: doors-mark\n    score: 6\n\
     \x20 - id: DOORS_HOLD\n    description: hold\n    target: subject\n    regex: doors-hold\n    score: 11\n";

/// Starts Moat; `extra` is appended to the configuration (`{DIR}` is its directory).
pub fn start(extra: &str) -> Doors {
    start_with("", extra)
}

/// Like `start`, with `scan_api` lines (indented) added to that section.
pub fn start_with(scan_api: &str, extra: &str) -> Doors {
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rules.path(), RULES).unwrap();
    let (_, rules_path) = rules.keep().unwrap();
    let yaml = format!(
        "hostname: {HOSTNAME}\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: maildir\n  path: {{DIR}}/maildir\n\
         admin:\n  listen: \"\"\n\
         rules:\n  files: [builtin:default, {}]\n\
         quarantine:\n  path: {{DIR}}/quarantine\n\
         lists:\n  deny:\n    recipients: [denied@example.test]\n\
         scan_api:\n  listen: 127.0.0.1:0\n{scan_api}\
         milter:\n  listen: 127.0.0.1:0\n{extra}",
        rules_path.display()
    );
    let moat = Moat::start(&yaml);
    Doors {
        scan_api: moat.scan_api.expect("moat reports scan_api="),
        milter: moat.milter.expect("moat reports milter="),
        moat,
    }
}

pub const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// A message with a Date and Message-ID (so that an MTA adds none) and `subject`.
pub fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Sender <sender@origin.test>\r\nTo: Alice <alice@example.test>\r\n\
         Subject: {subject}\r\nDate: Fri, 04 Dec 2026 09:00:00 +0000\r\n\
         Message-ID: <{}@origin.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}\r\n",
        subject.replace(' ', "-")
    )
    .into_bytes()
}

pub fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
