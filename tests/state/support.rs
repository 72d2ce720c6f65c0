//! Helpers: a Moat with the admin listener on (for /metrics), clients bound to a chosen
//! loopback source address, and metric reading.

use crate::common::client::TcpClient;
use crate::common::fault_backend::FaultBackend;
use std::net::SocketAddr;

pub use crate::common::admin::Admin as Instance;

/// Starts Moat relaying to `backend` with `extra` top-level YAML (state, greylist, …).
pub fn start(backend: &FaultBackend, extra: &str) -> Instance {
    crate::common::admin::start_with_admin(backend, "text", extra)
}

/// A client connected from `source` (e.g. `127.0.0.2`): all of 127/8 is loopback on Linux.
pub fn connect_from(source: &str, to: SocketAddr) -> TcpClient {
    TcpClient::connect_from(source.parse().unwrap(), to)
}

pub use crate::common::http::metric;

/// Greets, says EHLO, and returns the client; panics if the greeting is not 220.
pub fn session(source: &str, to: SocketAddr) -> TcpClient {
    let mut c = connect_from(source, to);
    let greeting = c.reply();
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    c
}

/// One transaction from `source`: MAIL, RCPT, then DATA if the RCPT was accepted. Returns
/// the RCPT reply, and the end-of-DATA reply when there was one.
pub fn attempt(source: &str, to: SocketAddr, from: &str, rcpt: &str) -> (String, Option<String>) {
    let mut c = session(source, to);
    let mail = c.cmd(&format!("MAIL FROM:<{from}>"));
    assert!(mail.starts_with("250"), "{mail}");
    let rcpt_reply = c.cmd(&format!("RCPT TO:<{rcpt}>"));
    if !rcpt_reply.starts_with("250") {
        c.cmd("QUIT");
        return (rcpt_reply, None);
    }
    assert!(c.cmd("DATA").starts_with("354"));
    let end = c.cmd("Subject: state test\r\n\r\nhello\r\n.");
    c.cmd("QUIT");
    (rcpt_reply, Some(end))
}

/// Moat in this process (the configuration of `start`, without the admin listener), on its
/// own runtime's worker threads so that the test's blocking clients can talk to it. Tests
/// that move Moat's clock (`moat::clock::advance`) use it: the offset is per process.
pub struct Local {
    pub moat: crate::common::inproc::InProcess,
    // Dropped after `moat` (fields drop in order): the server stops, then its runtime.
    _rt: tokio::runtime::Runtime,
}

pub fn start_local(backend: &FaultBackend, extra: &str) -> Local {
    let yaml = format!(
        "hostname: mx.example.test\n\
         listen:\n  - 127.0.0.1:0\n\
         domains:\n  - example.test\n\
         backend:\n  protocol: smtp\n  address: {}\n  timeouts:\n    connect: 2s\n    command: 2s\n    data: 2s\n\
         shutdown_grace: 1s\n\
         rules:\n  files: []\n{extra}",
        backend.addr
    );
    let config = moat::config::Config::from_yaml(&yaml, "local.yaml").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let moat = crate::common::inproc::InProcess::start_on(&rt, config);
    Local { moat, _rt: rt }
}

/// The value of one sample in this process's metrics registry (an in-process Moat's), 0
/// when absent.
pub fn local_metric(series: &str) -> f64 {
    crate::common::http::sample(&moat::metrics::get().render(), series)
}
