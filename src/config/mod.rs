//! Configuration: raw serde types (`raw`) → validated runtime `Config` (`validate`).
//!
//! Loading is all-or-nothing: either every key is valid and a `Config` comes back, or the
//! caller gets the list of errors, each naming file, line and key.

pub mod action;
pub mod admin;
pub mod auth;
pub mod auth_findings;
pub mod bayes;
pub mod cidr;
pub mod console;
pub mod doors;
pub mod greylist;
pub mod lists;
mod locate;
pub mod malware;
mod malware_kinds;
pub mod overrides;
pub mod paths;
pub mod policy;
pub mod pool;
pub mod proxy;
pub mod ratelimit;
pub mod raw;
pub mod reputation;
pub mod scores;
pub mod stages;
pub mod state;
mod structure;
mod validate;
pub mod values;

pub use raw::{BareNewline, LogFormat, NulBytes, QuotedLocalParts};
use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The embedded default configuration (`config/moat.yaml`), runnable as is.
pub const DEFAULT_YAML: &str = include_str!("../../config/moat.yaml");
/// How the embedded default names itself in errors and logs.
pub const DEFAULT_ORIGIN: &str = "<embedded config/moat.yaml>";

#[derive(Debug, Clone)]
pub struct Config {
    /// File the configuration came from, for logs.
    pub origin: String,
    /// Its text, so that errors found later (a TLS file, a rule file) name a line too.
    pub text: SourceText,
    pub hostname: String,
    pub listen: Vec<SocketAddr>,
    pub domains: Domains,
    pub backend: BackendConfig,
    pub tls: Option<TlsFiles>,
    pub bare_newline: BareNewline,
    pub nul_bytes: NulBytes,
    pub quoted_local_parts: QuotedLocalParts,
    pub limits: Limits,
    pub shutdown_grace: Duration,
    pub log: LogConfig,
    pub dns: auth::DnsConfig,
    pub auth: auth::AuthConfig,
    pub admin: admin::AdminConfig,
    /// The statistical classifier.
    pub bayes: bayes::BayesConfig,
    /// Rules, action thresholds, allow/deny lists, quarantine.
    pub policy: policy::Policy,
    /// DNSBL/DNSWL, RHSBL and URIBL zones.
    pub reputation: reputation::ReputationConfig,
    /// Listeners behind a load balancer that sends a PROXY protocol header.
    pub proxy: proxy::ProxyConfig,
    /// Shared state (memory or Redis), rate limits and greylisting.
    pub state: state::StateConfig,
    pub ratelimit: ratelimit::RateLimitConfig,
    pub greylist: greylist::GreylistConfig,
    /// The one policy table: every finding id's stage, score and forced action, assembled
    /// from the sections above (`stages`); the verdict reads it at every stage.
    pub table: stages::PolicyTable,
    /// Attachment inspection and clamd (`crate::malware`).
    pub malware: crate::config::malware::MalwareConfig,
    /// The rspamd-compatible HTTP scan API and the milter (`crate::doors::scan_api`, `crate::doors::milter`).
    pub scan_api: crate::config::doors::ScanApiConfig,
    pub milter: crate::config::doors::MilterConfig,
    /// The web console (`crate::console`).
    pub console: crate::config::console::ConsoleConfig,
}

/// The text of a configuration file; its `Debug` shows only the length.
#[derive(Clone, Default)]
pub struct SourceText(pub std::sync::Arc<str>);

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

/// Domains Moat accepts mail for, lower-cased.
#[derive(Debug, Clone, Default)]
pub struct Domains {
    set: HashSet<String>,
    /// The first configured domain (for `RCPT TO:<postmaster>`).
    primary: Option<String>,
}

impl Domains {
    pub fn new(domains: impl IntoIterator<Item = String>) -> Domains {
        let list: Vec<String> = domains
            .into_iter()
            .map(|d| crate::address::canonical_domain(&d).unwrap_or(d))
            .collect();
        Domains {
            primary: list.first().cloned(),
            set: list.into_iter().collect(),
        }
    }

    pub fn contains(&self, domain: &str) -> bool {
        match crate::address::canonical_domain(domain) {
            Some(d) => self.set.contains(&d),
            None => false,
        }
    }

    pub fn primary(&self) -> Option<&str> {
        self.primary.as_deref()
    }
}

#[derive(Debug, Clone)]
pub struct BackendConfig {
    pub target: BackendTarget,
    /// Name Moat announces in EHLO/LHLO.
    pub helo: String,
    pub timeouts: BackendTimeouts,
    /// Reuse of idle SMTP/LMTP connections (`backend.pool`).
    pub pool: pool::PoolConfig,
    /// Use the backend's PIPELINING (MAIL sent with the first RCPT) when it advertises it.
    pub pipelining: bool,
    /// Use the backend's CHUNKING (`BDAT`, no dot-stuffing) when it advertises it.
    pub chunking: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendTarget {
    /// Deliver into `<path>/<domain>/<local-part>/{tmp,new,cur}`.
    Maildir { path: PathBuf },
    /// Relay in-line over SMTP to `host:port`.
    Smtp { address: String },
    /// Relay in-line over LMTP to `host:port`.
    Lmtp { address: String },
}

#[derive(Debug, Clone, Copy)]
pub struct BackendTimeouts {
    pub connect: Duration,
    pub command: Duration,
    pub data: Duration,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Simultaneous connections from one client network (`network` prefixes wide).
    pub max_connections_per_network: usize,
    /// How wide a client's network is for `max_connections_per_network`.
    pub network: ratelimit::Prefixes,
    /// Open connections, in percent of `max_connections`, from which each new connection
    /// sheds the session idle longest (`crate::inbound::slots::shed`); 0 = never shed.
    pub shed_at_percent: u8,
    /// Connections the kernel queues for each listener before Moat accepts them.
    pub listen_backlog: u32,
    pub max_message_size: usize,
    /// Bytes all messages in flight may occupy together (`crate::budget`).
    pub max_memory: usize,
    pub max_recipients: usize,
    pub max_command_line: usize,
    pub max_data_line: usize,
    pub max_bad_commands: u32,
    pub max_commands: u32,
    pub timeouts: SessionTimeouts,
}

#[derive(Debug, Clone, Copy)]
pub struct SessionTimeouts {
    pub greeting: Duration,
    pub command: Duration,
    /// A command line (or a STARTTLS handshake) must be complete this long after its first
    /// byte: the floor under which a client dribbling bytes is cut.
    pub command_line: Duration,
    pub data: Duration,
    pub session: Duration,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based line of the offending key, when it could be located.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `backend.address` or `listen[1]`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: ", self.file, line)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Every problem found in one configuration file.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} configuration error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        match Config::read_checked(Some(path)) {
            (Some(config), errors) if errors.is_empty() => Ok(config),
            (_, errors) => Err(ConfigErrors(errors)),
        }
    }

    /// The embedded default configuration.
    pub fn embedded_default() -> Config {
        Config::from_yaml(DEFAULT_YAML, DEFAULT_ORIGIN)
            .expect("the embedded config/moat.yaml is valid (checked by a unit test)")
    }

    /// Parses and validates YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Config, ConfigErrors> {
        validate::from_yaml(text, origin)
    }

    /// Every error of the text, and the configuration as far as it could be built (wrong
    /// keys left at their defaults; `None` when the text is not a configuration at all).
    /// For `crate::runtime::prepare`, which goes on to build what the configuration names.
    pub fn checked(text: &str, origin: &str) -> (Option<Config>, Vec<ConfigError>) {
        validate::checked(text, origin)
    }

    /// Reads `path` (`None`: the embedded default) and checks it like `checked`.
    pub fn read_checked(path: Option<&Path>) -> (Option<Config>, Vec<ConfigError>) {
        let Some(path) = path else {
            return Config::checked(DEFAULT_YAML, DEFAULT_ORIGIN);
        };
        let origin = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Config::checked(&text, &origin),
            Err(e) => (
                None,
                vec![ConfigError {
                    file: origin,
                    line: None,
                    key: String::new(),
                    message: format!("cannot read: {e}"),
                }],
            ),
        }
    }

    /// An error found after validation (a file the configuration names), located at `key`.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.origin.clone(),
            line: locate::line_of(&self.text.0, key),
            key: key.to_string(),
            message: message.into(),
        }
    }
}
