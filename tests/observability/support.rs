//! Helpers: a Moat with the admin listener on, a tiny HTTP client, message sending and
//! reading metric values from the text format.

use crate::common::fault_backend::FaultBackend;
pub use crate::common::http::{http, sample};
use crate::common::moat::{Moat, RawClient, free_port};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A running Moat and the address of its admin listener.
pub struct Admin {
    pub moat: Moat,
    pub admin: SocketAddr,
}

/// Starts Moat relaying to `backend`, with `admin.listen` on a free loopback port.
pub fn start(backend: &FaultBackend, log_format: &str) -> Admin {
    start_with(backend, log_format, "")
}

/// `start` with more top-level YAML (e.g. a `limits:` section). Content rules are off: these
/// tests count relay outcomes and need every message's action to be `accept`.
pub fn start_with(backend: &FaultBackend, log_format: &str, extra: &str) -> Admin {
    let port = free_port();
    let yaml = format!(
        "hostname: mx.example.test\n\
         listen:\n  - 127.0.0.1:{{PORT}}\n\
         domains:\n  - example.test\n\
         backend:\n  protocol: smtp\n  address: {}\n  timeouts:\n    connect: 2s\n    command: 2s\n    data: 2s\n\
         shutdown_grace: 1s\n\
         log:\n  format: {log_format}\n  level: info\n\
         rules:\n  files: []\n\
         admin:\n  listen: 127.0.0.1:{port}\n{extra}",
        backend.addr
    );
    let moat = Moat::start(&yaml);
    let admin: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_listening(admin);
    Admin { moat, admin }
}

fn wait_listening(addr: SocketAddr) {
    for _ in 0..500 {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("admin listener {addr} did not come up");
}

/// Sends one message in its own session; returns the reply to the end of DATA.
pub fn send(moat: &Moat, subject: &str) -> String {
    let mut c = RawClient::connect(moat.addr);
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
