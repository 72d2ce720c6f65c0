//! Helpers: a Moat with the admin listener on (for /metrics), clients bound to a chosen
//! loopback source address, and metric reading.

use crate::common::fault_backend::FaultBackend;
use crate::common::moat::RawClient;
use std::net::SocketAddr;

pub use crate::common::admin::Admin as Instance;

/// Starts Moat relaying to `backend` with `extra` top-level YAML (state, greylist, …).
pub fn start(backend: &FaultBackend, extra: &str) -> Instance {
    crate::common::admin::start_with_admin(backend, "text", extra)
}

/// A client connected from `source` (e.g. `127.0.0.2`): all of 127/8 is loopback on Linux.
pub fn connect_from(source: &str, to: SocketAddr) -> RawClient {
    RawClient::connect_from(source.parse().unwrap(), to)
}

pub use crate::common::http::metric;

/// Greets, says EHLO, and returns the client; panics if the greeting is not 220.
pub fn session(source: &str, to: SocketAddr) -> RawClient {
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
