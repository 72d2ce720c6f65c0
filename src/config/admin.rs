//! The `admin` section: the HTTP listener for /metrics, /healthz, /readyz and /reload.
//!
//! Absent section or empty `listen` = no admin listener: it is opt-in, because /reload
//! changes what the server does and must never be reachable by accident. The embedded
//! default configuration enables it on loopback.

use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAdmin {
    /// `ip:port` of the admin HTTP listener; empty = disabled.
    pub listen: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminConfig {
    /// `None`: no admin listener.
    pub listen: Option<SocketAddr>,
}

/// Validates the section; the error message is for the key `admin.listen`.
pub fn build(raw: RawAdmin) -> Result<AdminConfig, String> {
    let text = raw.listen.trim();
    if text.is_empty() {
        return Ok(AdminConfig { listen: None });
    }
    match text.parse::<SocketAddr>() {
        Ok(addr) => Ok(AdminConfig { listen: Some(addr) }),
        Err(_) => Err(format!(
            "`{text}` is not an ip:port address (e.g. 127.0.0.1:9925; empty disables it)"
        )),
    }
}

#[cfg(test)]
mod tests;
