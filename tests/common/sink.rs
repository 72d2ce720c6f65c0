//! Postfix's `smtp-sink` as an SMTP backend that records every transaction it accepts in its own
//! file (`-d`), so a test can check that a message arrived exactly once and byte for byte.

use super::moat::free_port;
use super::tools;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `smtp-sink`; killed when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Child,
}

/// One transaction as smtp-sink dumped it.
#[derive(Debug)]
pub struct Transaction {
    /// `X-Client-Addr`, `X-Helo-Args`, `X-Mail-Args`, `X-Rcpt-Args` … records, in order.
    pub records: Vec<(String, String)>,
    /// The message exactly as the client sent it in DATA (dot-unstuffed, CRLF line ends).
    pub message: Vec<u8>,
}

impl Transaction {
    /// Values of every record called `name` (e.g. every `X-Rcpt-Args`).
    pub fn records(&self, name: &str) -> Vec<&str> {
        self.records
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl SmtpSink {
    /// Starts smtp-sink, or returns None when it is not installed (see `tools::skip`).
    pub fn start_or_skip(test: &str) -> Option<SmtpSink> {
        tools::have(test, &["smtp-sink"]).then(SmtpSink::start)
    }

    pub fn start() -> SmtpSink {
        for _attempt in 0..3 {
            if let Some(sink) = SmtpSink::try_start() {
                return sink;
            }
        }
        panic!("smtp-sink did not start");
    }

    fn try_start() -> Option<SmtpSink> {
        let dir = tempfile::Builder::new()
            .prefix("moat-sink-")
            .tempdir()
            .unwrap();
        let dump = dir.path().join("dump");
        std::fs::create_dir(&dump).unwrap();
        let mut command = Command::new(tools::find_program("smtp-sink").expect("smtp-sink"));
        if tools::is_root() {
            // smtp-sink refuses to run as root; it drops to `nobody`, who must write the dumps.
            tools::chmod(dir.path(), 0o755);
            let (uid, gid) = tools::user_ids("nobody").expect("user nobody");
            std::os::unix::fs::chown(&dump, Some(uid), Some(gid)).unwrap();
            command.args(["-u", "nobody"]);
        }
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let log = std::fs::File::create(dir.path().join("sink.log")).unwrap();
        let mut child = command
            .args(["-h", "sink.backend.test", "-d"])
            .arg(dump.join("message."))
            .arg(addr.to_string())
            .arg("100")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start smtp-sink");
        if tools::wait_listening(&mut child, &[addr], Duration::from_secs(10)) {
            return Some(SmtpSink { addr, dir, child });
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Every transaction recorded so far (one per accepted DATA), in no particular order.
    pub fn transactions(&self) -> Vec<Transaction> {
        let dump = self.dir.path().join("dump");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dump).unwrap() {
            let text = std::fs::read(entry.unwrap().path()).unwrap();
            out.push(parse_dump(&text));
        }
        out
    }

    /// Waits up to 10 s until at least `n` transactions are recorded, then returns them all.
    pub fn wait_transactions(&self, n: usize) -> Vec<Transaction> {
        super::poll::poll_until(Duration::from_secs(10), || self.transactions().len() >= n);
        self.transactions()
    }

    /// What smtp-sink printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sink.log")).unwrap_or_default()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- smtp-sink log ----\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses smtp-sink's dump format (smtp-sink(1), "DUMP FILE FORMAT"): LF-terminated `X-…`
/// records, a three-line `Received:` header that ends them, the message with CRLF written as LF,
/// then one empty line. Line ends are turned back into CRLF, which is exact for messages without
/// bare CR or LF (the only kind Moat relays by default).
fn parse_dump(text: &[u8]) -> Transaction {
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    let mut records = Vec::new();
    for line in lines.by_ref() {
        let line = String::from_utf8_lossy(line);
        let (name, value) = line.trim_end().split_once(": ").expect("smtp-sink record");
        if name == "Received" {
            // Its two continuation lines end smtp-sink's part.
            lines.next();
            lines.next();
            break;
        }
        records.push((name.to_string(), value.to_string()));
    }
    let body: Vec<u8> = lines.flatten().copied().collect();
    let body = body
        .strip_suffix(b"\n")
        .expect("smtp-sink ends a dump with an empty line");
    let mut message = Vec::with_capacity(body.len() + body.len() / 32);
    for &b in body {
        if b == b'\n' {
            message.push(b'\r');
        }
        message.push(b);
    }
    Transaction { records, message }
}
