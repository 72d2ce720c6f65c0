//! Starts the real `moat` binary on a loopback port with a test configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `moat serve`; killed when dropped. Its log (stderr) is kept for assertions.
pub struct Moat {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    child: Child,
    log: Arc<Mutex<String>>,
}

/// A free loopback port (bound then released; good enough on a test machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn moat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_moat")
}

impl Moat {
    /// Starts Moat with `yaml`, in which `{PORT}` is replaced by a free port and `{DIR}` by the
    /// test's temporary directory. `listen` must be `127.0.0.1:{PORT}` for `addr` to be right.
    pub fn start(yaml: &str) -> Moat {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let text = yaml
            .replace("{PORT}", &port.to_string())
            .replace("{DIR}", dir.path().to_str().unwrap());
        let config_path = dir.path().join("moat.yaml");
        std::fs::write(&config_path, text).unwrap();
        let mut child = Command::new(moat_bin())
            .args(["serve", "--config"])
            .arg(&config_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moat");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[moat] {line}");
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let moat = Moat {
            addr,
            dir,
            config_path,
            child,
            log,
        };
        moat.wait_ready();
        moat
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "moat did not listen on {} within 20s; log:\n{}",
            self.addr,
            self.log()
        );
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything Moat logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle` (log lines are written asynchronously).
    pub fn wait_log(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Moat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal blocking SMTP client for byte-exact tests: write raw bytes, read replies.
pub struct RawClient {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        RawClient {
            stream,
            buf: Vec::new(),
        }
    }

    /// Connects from the local address `source` (any 127.x.y.z works on Linux loopback), so a
    /// test can tell the client's address from that of a proxy in between.
    pub fn connect_from(source: std::net::IpAddr, addr: SocketAddr) -> RawClient {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let stream = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(source, 0)).unwrap();
            let stream = socket.connect(addr).await.unwrap();
            stream.into_std().unwrap()
        });
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        RawClient {
            stream,
            buf: Vec::new(),
        }
    }

    /// A client over an already connected stream (e.g. one bound to a chosen source address).
    pub fn from_stream(stream: TcpStream) -> RawClient {
        RawClient {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads one complete (possibly multi-line) reply and returns it as text.
    /// Returns an empty string if the server closed the connection first.
    pub fn reply(&mut self) -> String {
        loop {
            if let Some(end) = complete_reply_len(&self.buf) {
                let reply: Vec<u8> = self.buf.drain(..end).collect();
                return String::from_utf8_lossy(&reply).into_owned();
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    return String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends a command line (CRLF added) and returns the reply.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// True when the server has closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0) | Err(_))
    }
}

/// Length of the first complete reply in `buf` (through the last line's CRLF), if any.
fn complete_reply_len(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(pos) = buf[start..].windows(2).position(|w| w == b"\r\n") {
        let line = &buf[start..start + pos];
        let end = start + pos + 2;
        if line.len() < 4 || line[3] == b' ' {
            return Some(end);
        }
        start = end;
    }
    None
}
