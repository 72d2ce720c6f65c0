//! Issue 18 item 12: two instances of the embedded default configuration on one machine,
//! told apart by `moat serve --listen/--admin` and by MOAT_LISTEN/MOAT_ADMIN, and logs that
//! print addresses as addresses (`address=127.0.0.1:2600`, never `Some(…)`).

use crate::common::http::{http, post_reload};
use crate::common::moat::{RawClient, free_port, moat_bin};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `moat serve` (no --config) in `dir`, its stderr in `dir/moat.log`.
struct Instance {
    child: Child,
    log: PathBuf,
}

impl Instance {
    fn start(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Instance {
        let log = dir.join("moat.log");
        let mut cmd = Command::new(moat_bin());
        cmd.arg("serve")
            .args(args)
            .current_dir(dir)
            .env_remove("MOAT_LISTEN")
            .env_remove("MOAT_ADMIN")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Instance {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls (20 s deadline) until `addr` accepts connections.
    fn wait_listening(&self, addr: SocketAddr) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "{addr} not up; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_log(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn two_default_instances_run_side_by_side_with_listen_and_admin_overrides() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (smtp1, admin1, smtp2, admin2) = (free_port(), free_port(), free_port(), free_port());
    let one = Instance::start(
        d1.path(),
        &[
            "--listen",
            &addr(smtp1).to_string(),
            "--admin",
            &addr(admin1).to_string(),
        ],
        &[],
    );
    let two = Instance::start(
        d2.path(),
        &[],
        &[
            ("MOAT_LISTEN", addr(smtp2).to_string()),
            ("MOAT_ADMIN", addr(admin2).to_string()),
        ],
    );
    for (i, smtp, admin) in [(&one, smtp1, admin1), (&two, smtp2, admin2)] {
        i.wait_listening(addr(admin));
        let (code, body) = http(addr(admin), "GET", "/readyz");
        assert_eq!(code, 200, "{body}");
        i.wait_listening(addr(smtp));
        let mut c = RawClient::connect(addr(smtp));
        assert!(c.reply().starts_with("220"));
        assert!(c.cmd("QUIT").starts_with("221"));
    }
    for (i, smtp, admin) in [(&one, smtp1, admin1), (&two, smtp2, admin2)] {
        assert!(
            i.wait_log(&format!("address={}", addr(admin))),
            "{}",
            i.log()
        );
        assert!(
            i.log().contains(&format!("address={}", addr(smtp))),
            "{}",
            i.log()
        );
    }

    // `moat health` finds the second instance through the same variable.
    let health = Command::new(moat_bin())
        .arg("health")
        .env("MOAT_ADMIN", addr(admin2).to_string())
        .current_dir(d2.path())
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");

    // A reload re-reads the embedded default; the overrides hold, nothing to restart.
    let (code, body) = post_reload(addr(admin1));
    assert_eq!(code, 200, "{body}");
    assert!(one.wait_log("configuration reloaded"), "{}", one.log());
    assert!(
        !one.log().contains("listen addresses changed"),
        "{}",
        one.log()
    );
    assert!(!one.log().contains("admin.listen changed"), "{}", one.log());
    for i in [&one, &two] {
        assert!(!i.log().contains("Some("), "{}", i.log());
    }
}

#[test]
fn serve_refuses_a_bad_listen_override_naming_its_source() {
    let d = tempfile::tempdir().unwrap();
    let out = Command::new(moat_bin())
        .args(["serve"])
        .env("MOAT_LISTEN", "nowhere:25")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MOAT_LISTEN") && err.contains("`nowhere:25`"),
        "{err}"
    );
}
