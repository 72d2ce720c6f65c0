//! A throwaway `redis-server` on a free loopback port: no persistence, its own working
//! directory, killed on drop. `stop` and `restart` (same port) simulate an outage.

use super::moat::free_port;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Redis {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Redis {
    /// Starts a server, or `None` (after saying why) when `redis-server` is missing and
    /// MOAT_E2E_OPTIONAL=1 is set.
    pub fn start(test: &str) -> Option<Redis> {
        if !super::tools::have(test, &["redis-server"]) {
            return None;
        }
        let mut r = Redis {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        r.restart();
        Some(r)
    }

    pub fn addr(&self) -> SocketAddr {
        format!("127.0.0.1:{}", self.port).parse().unwrap()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let program = super::tools::find_program("redis-server").expect("redis-server");
        let child = Command::new(program)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let listening = super::poll::poll_until(Duration::from_secs(10), || {
            TcpStream::connect(self.addr()).is_ok()
        });
        assert!(listening, "redis-server did not listen");
    }

    /// Kills the server (an outage as abrupt as a crash).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
