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
mod tests {
    use super::*;

    #[test]
    fn proxy_listen_must_be_a_configured_listener() {
        let listen = ["127.0.0.1:2525".parse().unwrap()];
        let mut problems = Vec::new();
        let raw = RawProxy {
            listen: vec!["127.0.0.1:2525".into(), "127.0.0.1:26".into(), "x".into()],
            ..Default::default()
        };
        let config = build(raw, &listen, &mut problems);
        assert_eq!(config.listen, listen);
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["proxy_protocol.listen[1]", "proxy_protocol.listen[2]"]
        );
    }
}
