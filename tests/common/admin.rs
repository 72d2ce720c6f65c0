//! A Moat relaying to a fault backend with its admin listener (`/metrics`, `/readyz`) on
//! loopback port 0. Content rules are off: the tests that use it count relay outcomes and
//! need every message's action to be `accept`.

use super::fault_backend::FaultBackend;
use super::moat::Moat;
use std::net::SocketAddr;

/// A running Moat and the address of its admin listener.
pub struct Admin {
    pub moat: Moat,
    pub admin: SocketAddr,
}

/// Starts Moat relaying to `backend`, logging in `log_format`, with `extra` top-level YAML
/// (limits, state, greylist …); returns once both listeners are bound (Moat reports them).
pub fn start_with_admin(backend: &FaultBackend, log_format: &str, extra: &str) -> Admin {
    let yaml = format!(
        "hostname: mx.example.test\n\
         listen:\n  - 127.0.0.1:{{PORT}}\n\
         domains:\n  - example.test\n\
         backend:\n  protocol: smtp\n  address: {}\n  timeouts:\n    connect: 2s\n    command: 2s\n    data: 2s\n\
         shutdown_grace: 1s\n\
         log:\n  format: {log_format}\n  level: info\n\
         rules:\n  files: []\n\
         admin:\n  listen: \"{{ADMIN}}\"\n{extra}",
        backend.addr
    );
    let moat = Moat::start(&yaml);
    let admin = moat.admin.expect("Moat reported its admin listener");
    Admin { moat, admin }
}
