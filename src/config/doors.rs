//! The `scan_api` and `milter` sections: the listeners of the two doors besides SMTP. Both
//! are off unless `listen` is set. Their message size limit is `limits.max_message_size`,
//! as for SMTP.

use crate::config::values::HumanDuration;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawScanApi {
    /// `ip:port`; empty = no scan API.
    pub listen: String,
    /// Clients must send it in rspamd's `Password` header to learn; empty = only loopback
    /// clients may learn.
    pub password: String,
    pub max_connections: Option<usize>,
    pub timeout: Option<HumanDuration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanApiConfig {
    /// `None`: no scan API listener.
    pub listen: Option<SocketAddr>,
    pub password: Option<String>,
    /// Requests served at once; more are answered 503 at once.
    pub max_connections: usize,
    /// Time to receive a whole request (head and body).
    pub timeout: Duration,
}

impl Default for ScanApiConfig {
    fn default() -> Self {
        ScanApiConfig {
            listen: None,
            password: None,
            max_connections: 64,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Validates the section; each problem names its key.
pub fn build_scan_api(raw: RawScanApi, problems: &mut Vec<(String, String)>) -> ScanApiConfig {
    let mut c = ScanApiConfig::default();
    let text = raw.listen.trim();
    if !text.is_empty() {
        match text.parse::<SocketAddr>() {
            Ok(a) => c.listen = Some(a),
            Err(_) => problems.push((
                "scan_api.listen".into(),
                format!(
                    "`{text}` is not an ip:port address (e.g. 127.0.0.1:11333; empty disables it)"
                ),
            )),
        }
    }
    c.password = Some(raw.password).filter(|p| !p.is_empty());
    c.max_connections = positive(
        raw.max_connections,
        c.max_connections,
        "scan_api.max_connections",
        problems,
    );
    c.timeout = raw.timeout.map_or(c.timeout, |d| d.0);
    c
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMilter {
    /// `ip:port` or `unix:/path`; empty = no milter listener.
    pub listen: String,
    pub max_connections: Option<usize>,
    pub timeout: Option<HumanDuration>,
    /// `hold` (the MTA's hold queue) or `store` (Moat's quarantine store, then discard).
    pub quarantine: Option<String>,
}

/// Where the milter listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilterListen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// What the milter does with a message the verdict quarantines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilterQuarantine {
    /// `SMFIR_QUARANTINE`: the MTA keeps it in its hold queue (`postsuper -r` releases it).
    Hold,
    /// Moat's own quarantine store (`moat quarantine release`), then `SMFIR_DISCARD`.
    Store,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilterConfig {
    pub listen: Option<MilterListen>,
    /// MTA connections served at once; more are closed at once (the MTA applies
    /// `milter_default_action`).
    pub max_connections: usize,
    /// Time the MTA gets to send the next command.
    pub timeout: Duration,
    pub quarantine: MilterQuarantine,
}

impl Default for MilterConfig {
    fn default() -> Self {
        MilterConfig {
            listen: None,
            max_connections: 256,
            timeout: Duration::from_secs(300),
            quarantine: MilterQuarantine::Hold,
        }
    }
}

pub fn build_milter(raw: RawMilter, problems: &mut Vec<(String, String)>) -> MilterConfig {
    let mut c = MilterConfig::default();
    let text = raw.listen.trim();
    if let Some(path) = text.strip_prefix("unix:") {
        if path.starts_with('/') {
            c.listen = Some(MilterListen::Unix(path.into()));
        } else {
            problems.push((
                "milter.listen".into(),
                format!(
                    "`{text}`: a unix socket needs an absolute path (unix:/run/moat/milter.sock)"
                ),
            ));
        }
    } else if !text.is_empty() {
        let addr = text.strip_prefix("inet:").unwrap_or(text);
        match addr.parse::<SocketAddr>() {
            Ok(a) => c.listen = Some(MilterListen::Tcp(a)),
            Err(_) => problems.push((
                "milter.listen".into(),
                format!("`{text}` is neither ip:port nor unix:/path (empty disables it)"),
            )),
        }
    }
    c.max_connections = positive(
        raw.max_connections,
        c.max_connections,
        "milter.max_connections",
        problems,
    );
    c.timeout = raw.timeout.map_or(c.timeout, |d| d.0);
    match raw.quarantine.as_deref() {
        None | Some("hold") => {}
        Some("store") => c.quarantine = MilterQuarantine::Store,
        Some(other) => problems.push((
            "milter.quarantine".into(),
            format!("`{other}` is not `hold` or `store`"),
        )),
    }
    c
}

fn positive(
    v: Option<usize>,
    default: usize,
    key: &str,
    problems: &mut Vec<(String, String)>,
) -> usize {
    match v {
        Some(0) => {
            problems.push((key.into(), "must be at least 1".into()));
            default
        }
        Some(n) => n,
        None => default,
    }
}

#[cfg(test)]
mod tests;
