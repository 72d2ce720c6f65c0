//! HAProxy (the Debian package) in front of a Moat listener, as a load balancer in TCP mode that
//! passes the client address with the PROXY protocol. Runs in the foreground (`-db`) with its
//! configuration in a temporary directory; killed when dropped.

use super::moat::free_port;
use super::tools::{find_program, terminate, wait_listening};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Which PROXY protocol header HAProxy sends to the server.
#[derive(Debug, Clone, Copy)]
pub enum ProxyVersion {
    /// `send-proxy`: the text header.
    V1,
    /// `send-proxy-v2`: the binary header.
    V2,
}

pub struct HaProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl HaProxy {
    /// Starts HAProxy forwarding `127.0.0.1:<free port>` to `server`, or `None` (the test is
    /// fails, or is skipped under `MOAT_E2E_OPTIONAL=1`) when haproxy is not installed.
    pub fn start_or_skip(test: &str, server: SocketAddr, version: ProxyVersion) -> Option<HaProxy> {
        if !super::tools::have(test, &["haproxy"]) {
            return None;
        }
        Some(HaProxy::start(server, version))
    }

    pub fn start(server: SocketAddr, version: ProxyVersion) -> HaProxy {
        let dir = tempfile::tempdir().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let send = match version {
            ProxyVersion::V1 => "send-proxy",
            ProxyVersion::V2 => "send-proxy-v2",
        };
        let cfg = format!(
            "global\n  maxconn 100\n\
             defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
             frontend smtp\n  bind {addr}\n  default_backend moat\n\
             backend moat\n  server moat {server} {send}\n"
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let mut child = Command::new(find_program("haproxy").expect("haproxy is installed"))
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("haproxy.log")).unwrap())
            .spawn()
            .expect("start haproxy");
        if !wait_listening(&mut child, &[addr], Duration::from_secs(10)) {
            let _ = child.kill();
            let err = std::fs::read_to_string(dir.path().join("haproxy.log")).unwrap_or_default();
            panic!("haproxy did not listen on {addr}: {err}");
        }
        HaProxy {
            addr,
            child,
            _dir: dir,
        }
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(2));
    }
}
