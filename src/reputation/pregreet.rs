//! The pre-greet test (postscreen's): Moat waits a moment before its `220`; a client that
//! talks first is not an SMTP client waiting its turn (RFC 5321 3.1) but, usually, a spam bot
//! that writes its whole transaction blind. What it sent is kept and fed to the session
//! after the greeting, so a `finding` action costs a real client nothing but the wait.
//! Talking first is reported as the `PREGREET` finding; the policy table says whether it
//! refuses the connection (`pregreet_action: reject`) or scores its messages.

use crate::checks::Finding;
use crate::config::reputation::ReputationConfig;
use crate::config::stages::ids;
use tokio::io::{AsyncRead, AsyncReadExt};

/// What the wait before the greeting showed.
pub enum Pregreet {
    /// Quiet (or the test is off): greet as usual.
    Quiet,
    /// The client talked first: its bytes, and the `PREGREET` finding.
    Talked { input: Vec<u8>, finding: Finding },
    /// The client closed the connection while Moat waited.
    Closed,
}

/// Waits `pregreet_wait` for input that should not come yet.
pub async fn wait<S: AsyncRead + Unpin>(config: &ReputationConfig, stream: &mut S) -> Pregreet {
    if config.pregreet_wait.is_zero() {
        return Pregreet::Quiet;
    }
    let mut buf = vec![0u8; 4096];
    let n = match tokio::time::timeout(config.pregreet_wait, stream.read(&mut buf)).await {
        Err(_) => return Pregreet::Quiet,
        Ok(Ok(0)) | Ok(Err(_)) => return Pregreet::Closed,
        Ok(Ok(n)) => n,
    };
    buf.truncate(n);
    crate::metrics::connection("flagged", "pregreet");
    let shown = String::from_utf8_lossy(&buf[..n.min(40)])
        .escape_debug()
        .to_string();
    tracing::info!(target: "moat::reputation", first_bytes = %shown, "client talked before the greeting");
    let reason = format!("client talked before the greeting: \"{shown}\"");
    Pregreet::Talked {
        input: buf,
        finding: Finding::fact(ids::PREGREET, reason),
    }
}
