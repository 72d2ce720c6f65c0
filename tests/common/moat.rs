//! Starts the real `moat` binary on loopback port 0 with a test configuration, and learns the
//! addresses the kernel chose from the binary itself (`MOAT_REPORT_ADDRESSES=1` makes `moat
//! serve` print `moat ready smtp=… admin=…` on stdout once every listener is bound). No port
//! is picked by binding and releasing, and readiness is that line, not a connect-retry loop.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a debug build may take to load its configuration and bind (a loaded CI machine).
const START_BOUND: Duration = Duration::from_secs(30);

/// A running `moat serve`; killed when dropped. Its log (stderr) is kept for assertions.
pub struct Moat {
    /// The first SMTP listener.
    pub addr: SocketAddr,
    /// Every SMTP listener, in `listen` order (PROXY-protocol listeners included).
    pub addrs: Vec<SocketAddr>,
    /// The admin listener, when `admin.listen` is set (`{ADMIN}` in the test's YAML).
    pub admin: Option<SocketAddr>,
    /// The scan API and milter listeners, when configured (`127.0.0.1:0` in the test's YAML).
    pub scan_api: Option<SocketAddr>,
    pub milter: Option<SocketAddr>,
    /// The web console's listener, when `console.listen` is set.
    pub console: Option<SocketAddr>,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    child: Child,
    log: Arc<Log>,
}

/// Moat's stderr so far, and a condition variable signalled at every new line, so that a test
/// waiting for a log line wakes when it is written instead of polling.
#[derive(Default)]
pub struct Log {
    /// The text so far, and whether the stream has ended.
    text: Mutex<(String, bool)>,
    grew: Condvar,
}

impl Log {
    /// Collects the lines of `from` (echoing them to the test's stderr with `tag`).
    pub fn collect(from: impl Read + Send + 'static, tag: &'static str) -> Arc<Log> {
        let log = Arc::new(Log::default());
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                eprintln!("[{tag}] {line}");
                let mut text = sink.text.lock().unwrap();
                text.0.push_str(&line);
                text.0.push('\n');
                sink.grew.notify_all();
            }
            sink.text.lock().unwrap().1 = true;
            sink.grew.notify_all();
        });
        log
    }

    pub fn text(&self) -> String {
        self.text.lock().unwrap().0.clone()
    }

    /// Appends `bytes` (whole lines, as a log writer produces them) and wakes the waiters.
    pub fn append(&self, bytes: &[u8]) {
        self.text
            .lock()
            .unwrap()
            .0
            .push_str(&String::from_utf8_lossy(bytes));
        self.grew.notify_all();
    }

    /// The whole text once the process has closed the stream (up to `within`).
    pub fn text_at_end(&self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let mut text = self.text.lock().unwrap();
        while !text.1 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            text = self.grew.wait_timeout(text, left).unwrap().0;
        }
        text.0.clone()
    }

    /// Waits until the log contains `needle`, up to `within`.
    pub fn wait_for(&self, needle: &str, within: Duration) -> bool {
        self.wait_count(needle, 1, within)
    }

    /// Waits until the log contains `needle` at least `n` times, up to `within`.
    pub fn wait_count(&self, needle: &str, n: usize, within: Duration) -> bool {
        self.wait_until(|text| text.matches(needle).count() >= n, within)
    }

    /// Waits until `done(text)` holds, up to `within`; woken by each new line.
    pub fn wait_until(&self, done: impl Fn(&str) -> bool, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut text = self.text.lock().unwrap();
        while !done(&text.0) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            text = self.grew.wait_timeout(text, left).unwrap().0;
        }
        true
    }
}

/// A free loopback port for a peer that cannot listen on port 0 and report its address
/// (Dovecot, HAProxy, Redis, Postfix, `openssl s_server`) and for the tests about a fixed
/// port; Moat itself always listens on port 0.
///
/// A port the kernel handed out for `bind(:0)` and that was released is back in the ephemeral
/// range, where any outgoing connection of a concurrent test may take it as its source port
/// before the peer binds it. So the port is drawn from below that range (10000–32767, which
/// the kernel never hands out by itself), claimed with a file that concurrent test processes
/// see (claims older than an hour are stale), and checked to be bindable.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let claims = std::env::temp_dir().join("moat-test-ports");
    std::fs::create_dir_all(&claims).unwrap();
    let mut draw = std::collections::hash_map::RandomState::new().build_hasher();
    for attempt in 0u32..2000 {
        draw.write_u32(attempt);
        let port = 10_000 + (draw.finish() % 22_768) as u16;
        let claim = claims.join(port.to_string());
        let stale = std::fs::metadata(&claim)
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().unwrap_or_default() > Duration::from_secs(3600));
        if stale {
            let _ = std::fs::remove_file(&claim);
        }
        let claimed = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&claim)
            .is_ok();
        if claimed && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port below the ephemeral range after 2000 draws")
}

pub fn moat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_moat")
}

/// What `moat serve` reported once it was listening.
#[derive(Debug, Default)]
pub struct Ready {
    pub smtp: Vec<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub scan_api: Option<SocketAddr>,
    pub milter: Option<SocketAddr>,
    pub console: Option<SocketAddr>,
}

impl Ready {
    /// Parses `moat ready smtp=ADDR … admin=ADDR scan_api=ADDR milter=ADDR console=ADDR`.
    pub fn parse(line: &str) -> Option<Ready> {
        let mut ready = Ready::default();
        for field in line.strip_prefix("moat ready")?.split_whitespace() {
            let (key, addr) = field.split_once('=')?;
            let addr: SocketAddr = addr.parse().ok()?;
            match key {
                "smtp" => ready.smtp.push(addr),
                "admin" => ready.admin = Some(addr),
                "scan_api" => ready.scan_api = Some(addr),
                "milter" => ready.milter = Some(addr),
                "console" => ready.console = Some(addr),
                _ => return None,
            }
        }
        Some(ready)
    }
}

/// Sets up `cmd` (a `moat serve …`) to report its addresses on stdout and spawns it; returns
/// the child, its collected stderr and the report. Panics with the log when the process exits
/// or stays silent for `START_BOUND` instead.
pub fn spawn_reporting(cmd: &mut Command) -> (Child, Arc<Log>, Ready) {
    try_spawn_reporting(cmd).unwrap_or_else(|why| panic!("{why}"))
}

/// As `spawn_reporting`, with the failure (and Moat's whole log) as an error.
pub fn try_spawn_reporting(cmd: &mut Command) -> Result<(Child, Arc<Log>, Ready), String> {
    let mut child = cmd
        .env("MOAT_REPORT_ADDRESSES", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start moat");
    let log = Log::collect(child.stderr.take().unwrap(), "moat");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        // Keep draining so that Moat never blocks on a full pipe.
        for _ in lines {}
    });
    // The sender is dropped when stdout closes (Moat exited): `recv` fails at once then.
    match rx.recv_timeout(START_BOUND) {
        Ok(line) => match Ready::parse(&line) {
            Some(ready) => Ok((child, log, ready)),
            None => Err(format!("moat printed {line:?} instead of its addresses")),
        },
        Err(e) => {
            let _ = child.kill();
            let status = child.wait();
            Err(format!(
                "moat did not report its addresses ({e}; {status:?}); log:\n{}",
                log.text_at_end(Duration::from_secs(5))
            ))
        }
    }
}

impl Moat {
    /// Starts Moat with `yaml`, in which `{PORT}` becomes `0` (so `listen: 127.0.0.1:{PORT}`
    /// lets the kernel choose), `{ADMIN}` becomes `127.0.0.1:0` and `{DIR}` the test's
    /// temporary directory. Returns once every listener is bound.
    pub fn start(yaml: &str) -> Moat {
        Moat::try_start(yaml).unwrap_or_else(|why| panic!("{why}"))
    }

    /// As `start`, with a failure to start (and Moat's log) as an error.
    pub fn try_start(yaml: &str) -> Result<Moat, String> {
        let dir = tempfile::tempdir().unwrap();
        let text = yaml
            .replace("{PORT}", "0")
            .replace("{ADMIN}", "127.0.0.1:0")
            .replace("{DIR}", dir.path().to_str().unwrap());
        let config_path = dir.path().join("moat.yaml");
        std::fs::write(&config_path, text).unwrap();
        let mut cmd = Command::new(moat_bin());
        cmd.args(["serve", "--config"])
            .arg(&config_path)
            .current_dir(dir.path());
        let (child, log, ready) = try_spawn_reporting(&mut cmd)?;
        Ok(Moat {
            addr: *ready.smtp.first().expect("at least one SMTP listener"),
            addrs: ready.smtp,
            admin: ready.admin,
            scan_api: ready.scan_api,
            milter: ready.milter,
            console: ready.console,
            dir,
            config_path,
            child,
            log,
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything Moat logged so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Waits until the log contains `needle` (log lines are written asynchronously); woken by
    /// each new line, with a 10 s bound.
    pub fn wait_log(&self, needle: &str) -> bool {
        self.log.wait_for(needle, Duration::from_secs(10))
    }

    /// The first log line for which `matches` holds, waiting for it (10 s bound).
    pub fn wait_log_line(&self, matches: impl Fn(&str) -> bool) -> Option<String> {
        let found = |text: &str| text.lines().find(|l| matches(l)).map(str::to_string);
        self.log
            .wait_until(|text| found(text).is_some(), Duration::from_secs(10));
        found(&self.log())
    }

    /// Waits (10 s bound) until `done(log)` holds; woken by each new line.
    pub fn wait_log_until(&self, done: impl Fn(&str) -> bool) -> bool {
        self.log.wait_until(done, Duration::from_secs(10))
    }

    /// Waits (10 s bound) until `n` sessions have ended. Moat writes a session's closing log
    /// line in the task that holds its connection slot and gives the slot back right after,
    /// with no wait in between: once the line is read here, the slot is free.
    pub fn wait_sessions_ended(&self, n: usize) -> bool {
        self.log
            .wait_count(" session session=", n, Duration::from_secs(10))
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
