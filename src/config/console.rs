//! The `console` section: the web console for the quarantine (`crate::console`,
//! docs/console.md). Off unless `listen` is set. Its TLS files are re-read at every reload
//! like STARTTLS's; recipients log in against the backend's IMAP server.

use crate::config::TlsFiles;
use crate::config::values::HumanDuration;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConsole {
    /// `ip:port`; empty = no console.
    pub listen: String,
    /// Public base URL of the console (for digest links), e.g. `https://mail.example.org/console`.
    pub url: String,
    pub tls: Option<RawConsoleTls>,
    /// File of `name:$argon2id$…` lines (`moat console passwd NAME` prints one).
    pub admins: String,
    /// `imaps://host[:port]` or `imap://host[:port]` (loopback only): where recipients'
    /// passwords are checked. Empty = only admins log in.
    pub imap: String,
    /// PEM CA for the IMAP server's certificate (default: the system's CA bundle).
    pub imap_ca: String,
    /// File with at least 32 bytes of secret for signed links; empty = a random secret per
    /// start (links die with the process).
    pub secret_file: String,
    /// File the allow-list action appends senders to (reference it in `lists.allow.senders`).
    pub allow_list_file: String,
    pub session_lifetime: Option<HumanDuration>,
    pub login_failures: Option<u32>,
    pub login_lockout: Option<HumanDuration>,
    pub page_size: Option<usize>,
    pub max_connections: Option<usize>,
    pub digest: RawDigest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsoleTls {
    pub certificate: String,
    pub key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDigest {
    /// Time between digests; empty or 0 = no digests.
    pub every: Option<HumanDuration>,
    /// How long a release link in a digest stays valid.
    pub link_lifetime: Option<HumanDuration>,
    /// Envelope and From: address of the digest.
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapTarget {
    /// Implicit TLS.
    Tls { host: String, port: u16 },
    /// Plain text: only to a loopback address (checked here).
    Plain { addr: SocketAddr },
}

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub listen: Option<SocketAddr>,
    pub url: String,
    pub tls: Option<TlsFiles>,
    pub admins: Option<PathBuf>,
    pub imap: Option<ImapTarget>,
    pub imap_ca: Option<PathBuf>,
    pub secret_file: Option<PathBuf>,
    pub allow_list_file: Option<PathBuf>,
    /// An idle session ends after this.
    pub session_lifetime: Duration,
    /// Failed logins (per client address, and per name) before logins are refused …
    pub login_failures: u32,
    /// … for this long.
    pub login_lockout: Duration,
    pub page_size: usize,
    pub max_connections: usize,
    pub digest_every: Option<Duration>,
    pub link_lifetime: Duration,
    pub digest_from: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            listen: None,
            url: String::new(),
            tls: None,
            admins: None,
            imap: None,
            imap_ca: None,
            secret_file: None,
            allow_list_file: None,
            session_lifetime: Duration::from_secs(8 * 3600),
            login_failures: 5,
            login_lockout: Duration::from_secs(15 * 60),
            page_size: 50,
            max_connections: 64,
            digest_every: None,
            link_lifetime: Duration::from_secs(7 * 24 * 3600),
            digest_from: String::new(),
        }
    }
}

/// Validates the section; each problem names its key. Paths are relative to the config file.
pub fn build(origin: &str, raw: RawConsole, problems: &mut Vec<(String, String)>) -> ConsoleConfig {
    let mut c = ConsoleConfig::default();
    let path = |p: &str| {
        Some(p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| super::paths::resolve(origin, p))
    };
    let text = raw.listen.trim();
    if !text.is_empty() {
        match text.parse::<SocketAddr>() {
            Ok(a) => c.listen = Some(a),
            Err(_) => problems.push((
                "console.listen".into(),
                format!(
                    "`{text}` is not an ip:port address (e.g. 127.0.0.1:8025; empty disables it)"
                ),
            )),
        }
    }
    c.url = raw.url.trim().trim_end_matches('/').to_string();
    c.tls = raw.tls.map(|t| TlsFiles {
        certificate: super::paths::resolve(origin, t.certificate),
        key: super::paths::resolve(origin, t.key),
    });
    c.admins = path(&raw.admins);
    c.imap_ca = path(&raw.imap_ca);
    c.secret_file = path(&raw.secret_file);
    c.allow_list_file = path(&raw.allow_list_file);
    if let Some(p) = &c.secret_file {
        match std::fs::metadata(p) {
            Ok(m) if m.len() >= 32 => {}
            Ok(_) => problems.push((
                "console.secret_file".into(),
                format!("{}: needs at least 32 bytes of secret", p.display()),
            )),
            Err(e) => problems.push((
                "console.secret_file".into(),
                format!("{}: {e}", p.display()),
            )),
        }
    }
    match parse_imap(raw.imap.trim()) {
        Ok(t) => c.imap = t,
        Err(m) => problems.push(("console.imap".into(), m)),
    }
    if c.listen.is_some() && c.admins.is_none() && c.imap.is_none() {
        problems.push((
            "console.admins".into(),
            "the console needs an admins file or an imap server, or nobody can log in".into(),
        ));
    }
    c.session_lifetime = raw.session_lifetime.map_or(c.session_lifetime, |d| d.0);
    c.login_lockout = raw.login_lockout.map_or(c.login_lockout, |d| d.0);
    c.login_failures = match raw.login_failures {
        Some(0) => {
            problems.push(("console.login_failures".into(), "must be at least 1".into()));
            c.login_failures
        }
        Some(n) => n,
        None => c.login_failures,
    };
    for (value, default, key) in [
        (raw.page_size, c.page_size, "console.page_size"),
        (
            raw.max_connections,
            c.max_connections,
            "console.max_connections",
        ),
    ] {
        let v = match value {
            Some(0) => {
                problems.push((key.into(), "must be at least 1".into()));
                default
            }
            Some(n) => n,
            None => default,
        };
        if key.ends_with("page_size") {
            c.page_size = v.min(500);
        } else {
            c.max_connections = v;
        }
    }
    c.digest_every = raw.digest.every.map(|d| d.0).filter(|d| !d.is_zero());
    c.link_lifetime = raw.digest.link_lifetime.map_or(c.link_lifetime, |d| d.0);
    c.digest_from = raw.digest.from.trim().to_string();
    if c.digest_every.is_some() && (c.url.is_empty() || c.digest_from.is_empty()) {
        problems.push((
            "console.digest.every".into(),
            "digests need console.url (for the links) and console.digest.from".into(),
        ));
    }
    c
}

/// `imaps://host[:993]` or `imap://ip[:143]`; plain IMAP only to loopback, where no
/// password crosses a network.
fn parse_imap(text: &str) -> Result<Option<ImapTarget>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("`{text}` is neither imaps://host[:port] nor imap://loopback-ip[:port]");
    if let Some(rest) = text.strip_prefix("imaps://") {
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_matches(['[', ']']).to_string(),
                p.parse::<u16>().map_err(|_| bad())?,
            ),
            _ => (rest.to_string(), 993),
        };
        if host.is_empty() {
            return Err(bad());
        }
        return Ok(Some(ImapTarget::Tls { host, port }));
    }
    let rest = text
        .strip_prefix("imap://")
        .ok_or_else(bad)?
        .trim_end_matches('/');
    let addr: SocketAddr = rest
        .parse()
        .or_else(|_| {
            rest.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 143))
        })
        .map_err(|_| bad())?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "`{text}`: plain IMAP would send passwords in clear; use imaps:// (plain only to loopback)"
        ));
    }
    Ok(Some(ImapTarget::Plain { addr }))
}

#[cfg(test)]
mod tests;
