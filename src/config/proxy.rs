//! The `proxy_protocol` section: which listeners sit behind a load balancer that sends a
//! PROXY protocol (v1 or v2) header, and how long Moat waits for it.

use super::values::HumanDuration;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawProxy {
    pub listen: Vec<String>,
    pub timeout: HumanDuration,
}

impl Default for RawProxy {
    fn default() -> Self {
        RawProxy {
            listen: Vec::new(),
            timeout: HumanDuration(Duration::from_secs(10)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyConfig {
    /// Listeners (as written in `listen`) whose connections must start with a PROXY header.
    pub listen: Vec<SocketAddr>,
    pub timeout: Duration,
}

/// Validates the section against the `listen` addresses; problems are `(key, message)`.
pub fn build(
    raw: RawProxy,
    listen: &[SocketAddr],
    problems: &mut Vec<(String, String)>,
) -> ProxyConfig {
    let mut out = Vec::new();
    for (i, text) in raw.listen.iter().enumerate() {
        match text.parse::<SocketAddr>() {
            Ok(addr) if listen.contains(&addr) => out.push(addr),
            Ok(_) => problems.push((
                format!("proxy_protocol.listen[{i}]"),
                format!("`{text}` is not one of the `listen` addresses"),
            )),
            Err(_) => problems.push((
                format!("proxy_protocol.listen[{i}]"),
                format!("`{text}` is not an ip:port address"),
            )),
        }
    }
    ProxyConfig {
        listen: out,
        timeout: raw.timeout.0,
    }
}

#[cfg(test)]
mod tests;
