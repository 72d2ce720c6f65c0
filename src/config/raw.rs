//! The configuration file exactly as written: serde types with the documented defaults.
//! Nothing here is validated beyond types; `validate.rs` turns it into the runtime `Config`.

use super::values::{ByteSize, HumanDuration};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub hostname: Option<String>,
    #[serde(default)]
    pub listen: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    pub backend: Option<RawBackend>,
    pub tls: Option<RawTls>,
    #[serde(default)]
    pub smtp: RawSmtp,
    #[serde(default)]
    pub limits: RawLimits,
    pub shutdown_grace: Option<HumanDuration>,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub dns: super::auth::RawDns,
    #[serde(default)]
    pub auth: super::auth::RawAuth,
    #[serde(default)]
    pub admin: super::admin::RawAdmin,
    #[serde(default)]
    pub rules: super::policy::RawRules,
    #[serde(default)]
    pub actions: super::policy::RawActions,
    #[serde(default)]
    pub lists: super::policy::RawLists,
    #[serde(default)]
    pub quarantine: super::policy::RawQuarantine,
    #[serde(default)]
    pub bayes: super::bayes::RawBayes,
    #[serde(default)]
    pub reputation: super::reputation::RawReputation,
    #[serde(default)]
    pub proxy_protocol: super::proxy::RawProxy,
    #[serde(default)]
    pub state: super::state::RawState,
    #[serde(default)]
    pub ratelimit: super::ratelimit::RawRateLimit,
    #[serde(default)]
    pub greylist: super::greylist::RawGreylist,
    #[serde(default)]
    pub malware: crate::config::malware::RawMalware,
    // The doors besides SMTP (issue 20).
    #[serde(default)]
    pub scan_api: crate::config::doors::RawScanApi,
    #[serde(default)]
    pub milter: crate::config::doors::RawMilter,
    // The web console (issue 21).
    #[serde(default)]
    pub console: crate::config::console::RawConsole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Maildir,
    Smtp,
    Lmtp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackend {
    pub protocol: Protocol,
    pub address: Option<String>,
    pub path: Option<String>,
    pub helo: Option<String>,
    #[serde(default)]
    pub timeouts: RawBackendTimeouts,
    #[serde(default)]
    pub pool: super::pool::RawPool,
    /// RFC 2920 PIPELINING with the backend, when it advertises it.
    #[serde(default = "yes")]
    pub pipelining: bool,
    /// RFC 3030 CHUNKING (BDAT) with the backend, when it advertises it.
    #[serde(default = "yes")]
    pub chunking: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBackendTimeouts {
    pub connect: HumanDuration,
    pub command: HumanDuration,
    pub data: HumanDuration,
}

impl Default for RawBackendTimeouts {
    fn default() -> Self {
        RawBackendTimeouts {
            connect: secs(10),
            command: secs(60),
            data: secs(300),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub certificate: String,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BareNewline {
    #[default]
    Reject,
    Normalize,
}

/// `smtp.nul_bytes`: what a NUL byte inside a message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NulBytes {
    /// The message is refused with 550 5.6.0.
    #[default]
    Reject,
    /// Moat removes every NUL byte before judging and relaying.
    Strip,
}

/// `smtp.quoted_local_parts`: addresses whose local part needs quotes (`"john doe"@…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotedLocalParts {
    /// MAIL FROM / RCPT TO with such an address get 553 5.1.7 / 553 5.1.3.
    #[default]
    Reject,
    Accept,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSmtp {
    pub bare_newline: BareNewline,
    pub nul_bytes: NulBytes,
    pub quoted_local_parts: QuotedLocalParts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLimits {
    pub max_connections: u32,
    pub max_connections_per_ip: u32,
    pub max_connections_per_network: u32,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub shed_at_percent: u8,
    pub listen_backlog: u32,
    pub max_message_size: ByteSize,
    pub max_memory: ByteSize,
    pub max_recipients: u32,
    pub max_command_line: ByteSize,
    pub max_data_line: ByteSize,
    pub max_bad_commands: u32,
    pub max_commands: u32,
    pub timeouts: RawSessionTimeouts,
}

impl Default for RawLimits {
    fn default() -> Self {
        RawLimits {
            max_connections: 1000,
            max_connections_per_ip: 20,
            max_connections_per_network: 100,
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            shed_at_percent: 90,
            listen_backlog: 1024,
            max_message_size: ByteSize(25 * 1024 * 1024),
            max_memory: ByteSize(1024 * 1024 * 1024),
            max_recipients: 100,
            max_command_line: ByteSize(2048),
            max_data_line: ByteSize(64 * 1024),
            max_bad_commands: 10,
            max_commands: 10_000,
            timeouts: RawSessionTimeouts::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSessionTimeouts {
    pub greeting: HumanDuration,
    pub command: HumanDuration,
    pub command_line: HumanDuration,
    pub data: HumanDuration,
    pub session: HumanDuration,
}

impl Default for RawSessionTimeouts {
    fn default() -> Self {
        RawSessionTimeouts {
            greeting: secs(60),
            command: secs(300),
            command_line: secs(10),
            data: secs(180),
            session: secs(1800),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub format: LogFormat,
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: LogFormat::Text,
            level: "info".to_string(),
        }
    }
}

fn secs(n: u64) -> HumanDuration {
    HumanDuration(Duration::from_secs(n))
}
