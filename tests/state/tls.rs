//! `rediss://`: the Redis store over TLS to a real `redis-server` (Debian's is built with TLS,
//! `--tls-port`), the server's certificate verified against `state.ca`. Without that CA (the
//! system trust store only) the handshake fails and every call says so: nothing is sent in
//! clear instead.

use crate::common::tools;
use moat::config::state::{Backend, StateConfig, parse_url};
use moat::store::state::{StateError, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` listening only on a TLS port, with a self-signed certificate for
/// 127.0.0.1; killed on drop.
struct TlsRedis {
    child: Child,
    port: u16,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsRedis {
    fn start(test: &str) -> Option<TlsRedis> {
        if !tools::have(test, &["redis-server", "openssl"]) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let cert = tools::self_signed(dir.path(), "redis", "127.0.0.1", "IP:127.0.0.1");
        let port = crate::common::moat::free_port();
        let mut child = Command::new(tools::find_program("redis-server").unwrap())
            .args(["--port", "0", "--bind", "127.0.0.1"])
            .args(["--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(&cert)
            .arg("--tls-key-file")
            .arg(dir.path().join("redis.key"))
            .arg("--tls-ca-cert-file")
            .arg(&cert)
            .args(["--tls-auth-clients", "no"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "notice"])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        // Ready when it says so in its log (stdout), not after a guessed delay.
        let mut log = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = Vec::new();
        loop {
            match log.next() {
                Some(Ok(line)) if line.contains("Ready to accept connections") => break,
                Some(Ok(line)) => seen.push(line),
                _ => panic!("redis-server with TLS did not start:\n{}", seen.join("\n")),
            }
        }
        // Keep draining the log so that the server never blocks on a full pipe.
        std::thread::spawn(move || log.for_each(drop));
        Some(TlsRedis {
            child,
            port,
            cert,
            _dir: dir,
        })
    }

    fn store(&self, ca: Option<&Path>) -> Store {
        let url = format!("rediss://127.0.0.1:{}/0", self.port);
        Store::new(&StateConfig {
            backend: Backend::Redis,
            redis: parse_url(&url).unwrap(),
            timeout: Duration::from_secs(2),
            ca: ca.map(Path::to_path_buf),
            ..StateConfig::default()
        })
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rediss_store_verifies_the_server_and_shares_state() {
    let Some(redis) = TlsRedis::start("rediss_store") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = redis.store(Some(&redis.cert));
        s.set("k", b"over TLS\r\n", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(s.get("k").await, Ok(Some(b"over TLS\r\n".to_vec())));
        let w = Duration::from_secs(60);
        assert!(s.hit("c", w).await.unwrap() >= 1.0);
        // The model's own connection is TLS too.
        let blob = vec![9u8; 1 << 20];
        assert_eq!(s.publish("model", &blob, None).await, Ok(Some(1)));
        assert_eq!(s.fetch("model").await, Ok(Some((1, blob))));

        // The system trust store does not know this self-signed certificate.
        let untrusted = redis.store(None);
        match untrusted.get("k").await {
            Err(StateError::Io(e)) => assert!(e.contains("certificate"), "{e}"),
            other => panic!("an unverified server must not be used: {other:?}"),
        }
    });
}
