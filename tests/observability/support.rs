//! Helpers: a Moat with the admin listener on, a tiny HTTP client, message sending and
//! reading metric values from the text format.

use crate::common::client::TcpClient;
use crate::common::fault_backend::FaultBackend;
pub use crate::common::http::{http, http_with, post_reload, raw_http, sample};
use crate::common::moat::Moat;
use std::io::Write;

pub use crate::common::admin::Admin;

/// Starts Moat relaying to `backend`, with `admin.listen` on a free loopback port.
pub fn start(backend: &FaultBackend, log_format: &str) -> Admin {
    start_with(backend, log_format, "")
}

/// `start` with more top-level YAML (e.g. a `limits:` section).
pub fn start_with(backend: &FaultBackend, log_format: &str, extra: &str) -> Admin {
    crate::common::admin::start_with_admin(backend, log_format, extra)
}

/// Sends one message in its own session; returns the reply to the end of DATA.
pub fn send(moat: &Moat, subject: &str) -> String {
    let mut c = TcpClient::connect(moat.addr);
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    let reply = c.cmd(&format!("Subject: {subject}\r\n\r\nhello\r\n."));
    c.cmd("QUIT");
    reply
}

/// Sum of every sample of the metric `name` (any labels).
pub fn sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// Runs `program args` with `stdin`; returns (success, stdout + stderr).
pub fn run(program: &str, args: &[&str], stdin: &str) -> (bool, String) {
    use std::process::{Command, Stdio};
    let path = crate::common::tools::find_program(program).expect("program checked before");
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The repository root (deploy/ files live there).
pub fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}
