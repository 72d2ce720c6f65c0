//! The `greylist` section: defer the first delivery attempt of an unknown (client network,
//! sender, recipient) triplet; legitimate MTAs retry, most spam bots do not. Off by default.

use super::ratelimit::{OnError, Prefixes};
use super::values::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawGreylist {
    pub enabled: bool,
    pub delay: HumanDuration,
    pub retry_window: HumanDuration,
    pub expiry: HumanDuration,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub spf_pass: bool,
    pub spf_wait: HumanDuration,
    pub on_error: OnError,
}

impl Default for RawGreylist {
    fn default() -> Self {
        RawGreylist {
            enabled: false,
            delay: HumanDuration(Duration::from_secs(300)),
            retry_window: HumanDuration(Duration::from_secs(24 * 3600)),
            expiry: HumanDuration(Duration::from_secs(35 * 86400)),
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            spf_pass: true,
            spf_wait: HumanDuration(Duration::from_secs(2)),
            on_error: OnError::Pass,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GreylistConfig {
    pub enabled: bool,
    /// A retry earlier than this after first sight is deferred again.
    pub delay: Duration,
    /// How long after first sight a retry still counts; later it is a first sight again.
    pub retry_window: Duration,
    /// How long a triplet that passed stays passed (renewed by each message).
    pub expiry: Duration,
    pub prefixes: Prefixes,
    /// Senders whose SPF passes (with `auth.enabled`) are not greylisted.
    pub spf_pass: bool,
    /// How long RCPT waits for the SPF result started at MAIL FROM.
    pub spf_wait: Duration,
    pub on_error: OnError,
}

impl Default for GreylistConfig {
    fn default() -> Self {
        build(RawGreylist::default(), &mut Vec::new())
    }
}

/// Validates the section; problems are `(key, message)`.
pub fn build(raw: RawGreylist, problems: &mut Vec<(String, String)>) -> GreylistConfig {
    if raw.retry_window.0 <= raw.delay.0 {
        problems.push((
            "greylist.retry_window".into(),
            "must be longer than greylist.delay".into(),
        ));
    }
    if raw.expiry.0.is_zero() {
        problems.push(("greylist.expiry".into(), "must be more than 0".into()));
    }
    let prefixes =
        super::ratelimit::prefixes("greylist", raw.ipv4_prefix, raw.ipv6_prefix, problems);
    GreylistConfig {
        enabled: raw.enabled,
        delay: raw.delay.0,
        retry_window: raw.retry_window.0,
        expiry: raw.expiry.0,
        prefixes,
        spf_pass: raw.spf_pass,
        spf_wait: raw.spf_wait.0,
        on_error: raw.on_error,
    }
}

#[cfg(test)]
mod tests;
