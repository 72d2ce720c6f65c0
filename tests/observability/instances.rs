//! Issue 18 item 12: two instances of the embedded default configuration on one machine,
//! told apart by `moat serve --listen/--admin` and by MOAT_LISTEN/MOAT_ADMIN, and logs that
//! print addresses as addresses (`address=127.0.0.1:2600`, never `Some(…)`).

use crate::common::client::TcpClient;
use crate::common::http::{http, post_reload};
use crate::common::moat::{Log, moat_bin, spawn_reporting};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

/// `moat serve` (no --config) in `dir`, with the addresses it reported once listening.
struct Instance {
    child: Child,
    log: Arc<Log>,
    smtp: SocketAddr,
    admin: SocketAddr,
}

impl Instance {
    fn start(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Instance {
        let mut cmd = Command::new(moat_bin());
        cmd.arg("serve")
            .args(args)
            .current_dir(dir)
            .env_remove("MOAT_LISTEN")
            .env_remove("MOAT_ADMIN")
            .env_remove("RUST_LOG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (child, log, ready) = spawn_reporting(&mut cmd);
        Instance {
            child,
            log,
            smtp: ready.smtp[0],
            admin: ready.admin.expect("the default file has an admin listener"),
        }
    }

    fn log(&self) -> String {
        self.log.text()
    }

    fn wait_log(&self, needle: &str) -> bool {
        self.log.wait_for(needle, Duration::from_secs(10))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Port 0 on loopback: each override lets the kernel choose, and the instance reports it.
const ANY: &str = "127.0.0.1:0";

#[test]
fn two_default_instances_run_side_by_side_with_listen_and_admin_overrides() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = Instance::start(d1.path(), &["--listen", ANY, "--admin", ANY], &[]);
    let two = Instance::start(
        d2.path(),
        &[],
        &[("MOAT_LISTEN", ANY.into()), ("MOAT_ADMIN", ANY.into())],
    );
    for i in [&one, &two] {
        assert_ne!(
            i.smtp.port(),
            2525,
            "the --listen/MOAT_LISTEN override holds"
        );
        assert_ne!(
            i.admin.port(),
            9925,
            "the --admin/MOAT_ADMIN override holds"
        );
        let (code, body) = http(i.admin, "GET", "/readyz");
        assert_eq!(code, 200, "{body}");
        let mut c = TcpClient::connect(i.smtp);
        assert!(c.reply().starts_with("220"));
        assert!(c.cmd("QUIT").starts_with("221"));
    }
    for i in [&one, &two] {
        // Each listener logs its address when its loop starts, in either order.
        assert!(i.wait_log(&format!("address={}", i.admin)), "{}", i.log());
        assert!(i.wait_log(&format!("address={}", i.smtp)), "{}", i.log());
    }

    // `moat health` finds the second instance through the same variable.
    let health = Command::new(moat_bin())
        .arg("health")
        .env("MOAT_ADMIN", two.admin.to_string())
        .current_dir(d2.path())
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");

    // A reload re-reads the embedded default; the overrides hold, nothing to restart.
    let (code, body) = post_reload(one.admin);
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
