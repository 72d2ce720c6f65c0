//! The `ratelimit` section: connections, messages and recipients per window, per client
//! address and per client network. Every limit is off (0) by default.

use super::values::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

/// What a feature does when the state store cannot answer (Redis down or slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Let the client through, as if the feature were off.
    #[default]
    Pass,
    /// Answer `451 4.7.1` (connections: `421 4.7.0`) so the client retries later.
    Defer,
}

#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Counts {
    /// Connections per window; 0 = no limit.
    pub connections: u64,
    /// Messages (accepted MAIL FROM) per window; 0 = no limit.
    pub messages: u64,
    /// Recipients (RCPT TO) per window; 0 = no limit.
    pub recipients: u64,
}

impl Counts {
    pub fn is_off(&self) -> bool {
        *self == Counts::default()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRateLimit {
    pub window: HumanDuration,
    pub client: Counts,
    pub network: Counts,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub on_error: OnError,
}

impl Default for RawRateLimit {
    fn default() -> Self {
        RawRateLimit {
            window: HumanDuration(Duration::from_secs(60)),
            client: Counts::default(),
            network: Counts::default(),
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            on_error: OnError::Pass,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    pub window: Duration,
    /// Per client address.
    pub client: Counts,
    /// Per client network (`ipv4_prefix`/`ipv6_prefix`).
    pub network: Counts,
    pub prefixes: Prefixes,
    pub on_error: OnError,
}

/// How wide a client's "network" is, per address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefixes {
    pub v4: u8,
    pub v6: u8,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        build(RawRateLimit::default(), &mut Vec::new())
    }
}

impl RateLimitConfig {
    pub fn is_off(&self) -> bool {
        self.client.is_off() && self.network.is_off()
    }
}

/// Checks prefix lengths; shared with the `greylist` section.
pub fn prefixes(section: &str, v4: u8, v6: u8, problems: &mut Vec<(String, String)>) -> Prefixes {
    if v4 > 32 {
        problems.push((format!("{section}.ipv4_prefix"), "must be 0..=32".into()));
    }
    if v6 > 128 {
        problems.push((format!("{section}.ipv6_prefix"), "must be 0..=128".into()));
    }
    Prefixes {
        v4: v4.min(32),
        v6: v6.min(128),
    }
}

/// Validates the section; problems are `(key, message)`.
pub fn build(raw: RawRateLimit, problems: &mut Vec<(String, String)>) -> RateLimitConfig {
    if raw.window.0 < Duration::from_secs(1) {
        problems.push(("ratelimit.window".into(), "must be at least 1s".into()));
    }
    RateLimitConfig {
        window: raw.window.0.max(Duration::from_secs(1)),
        client: raw.client,
        network: raw.network,
        prefixes: prefixes("ratelimit", raw.ipv4_prefix, raw.ipv6_prefix, problems),
        on_error: raw.on_error,
    }
}
