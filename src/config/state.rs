//! The `state` section: where greylisting, rate limits and (optionally) the classifier model
//! keep what several sessions — or several Moat instances — must share.

use super::values::HumanDuration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// In this process only; bounded, survives reloads, lost on restart.
    #[default]
    Memory,
    /// A Redis server shared by every instance.
    Redis,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawState {
    pub backend: Backend,
    pub url: String,
    pub timeout: HumanDuration,
    pub key_prefix: String,
    pub max_entries: u64,
    /// CA certificates (PEM) a `rediss://` server's certificate must chain to.
    pub ca: Option<String>,
}

impl Default for RawState {
    fn default() -> Self {
        RawState {
            backend: Backend::Memory,
            url: "redis://127.0.0.1:6379/0".into(),
            timeout: HumanDuration(Duration::from_millis(250)),
            key_prefix: "moat:".into(),
            max_entries: 100_000,
            ca: None,
        }
    }
}

/// Where a Redis server is and how to log in; parsed from
/// `redis://[[user]:pass@]host:port[/db]`, or `rediss://…` for TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// `host:port` as written (IPv6 in brackets), for logs.
    pub address: String,
    /// The host name or IP address (IPv6 without brackets): where to connect, and the name
    /// the server's certificate must carry with TLS.
    pub host: String,
    pub port: u16,
    /// `rediss://`: TLS from the first byte, the certificate verified.
    pub tls: bool,
    pub db: u32,
    pub user: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateConfig {
    pub backend: Backend,
    pub redis: RedisUrl,
    /// Bound on every Redis operation (connect included).
    pub timeout: Duration,
    pub key_prefix: String,
    /// Cap on the in-memory store's entries; beyond it the soonest-expiring are evicted.
    pub max_entries: usize,
    /// `state.ca`, resolved: the CAs a `rediss://` server must chain to (default: the
    /// system's trust store).
    pub ca: Option<PathBuf>,
}

impl Default for StateConfig {
    fn default() -> Self {
        build(super::DEFAULT_ORIGIN, RawState::default(), &mut Vec::new())
    }
}

/// Validates the section; problems are `(key, message)`. `origin` is the configuration file,
/// against whose directory `state.ca` is resolved.
pub fn build(origin: &str, raw: RawState, problems: &mut Vec<(String, String)>) -> StateConfig {
    let redis = parse_url(&raw.url).unwrap_or_else(|e| {
        problems.push(("state.url".into(), e));
        parse_url("redis://127.0.0.1:6379/0").expect("the default URL parses")
    });
    if raw.timeout.0.is_zero() {
        problems.push(("state.timeout".into(), "must be more than 0".into()));
    }
    if raw.max_entries == 0 {
        problems.push(("state.max_entries".into(), "must be at least 1".into()));
    }
    let ca = raw.ca.map(|p| super::paths::resolve(origin, p));
    if let Some(path) = &ca {
        if !redis.tls {
            problems.push((
                "state.ca".into(),
                "only applies to a TLS URL (`rediss://`)".into(),
            ));
        } else if let Err(e) = read_ca(path) {
            problems.push(("state.ca".into(), e));
        }
    }
    StateConfig {
        backend: raw.backend,
        redis,
        timeout: raw.timeout.0,
        key_prefix: raw.key_prefix,
        max_entries: usize::try_from(raw.max_entries).unwrap_or(usize::MAX),
        ca,
    }
}

/// The PEM text of `state.ca`, once it is known to hold at least one certificate.
pub fn read_ca(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&pem).collect();
    match certs {
        Ok(c) if !c.is_empty() => Ok(pem),
        Ok(_) => Err(format!("{}: no PEM certificate found", path.display())),
        Err(e) => Err(format!("{}: not a PEM certificate: {e}", path.display())),
    }
}

/// Parses `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS.
pub fn parse_url(text: &str) -> Result<RedisUrl, String> {
    let (tls, rest) = match (
        text.strip_prefix("redis://"),
        text.strip_prefix("rediss://"),
    ) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(format!("`{text}` is not a redis:// or rediss:// URL")),
    };
    let (login, rest) = match rest.rsplit_once('@') {
        Some((login, rest)) => (Some(login), rest),
        None => (None, rest),
    };
    let (host_port, db) = match rest.split_once('/') {
        Some((hp, "")) => (hp, 0),
        Some((hp, db)) => (
            hp,
            db.parse()
                .map_err(|_| format!("`{db}` is not a database number"))?,
        ),
        None => (rest, 0),
    };
    if host_port.is_empty() {
        return Err(format!("`{text}` names no host"));
    }
    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !host_port.ends_with(']');
    let address = if has_port {
        host_port.to_string()
    } else {
        format!("{host_port}:6379")
    };
    let (host, port) = address.rsplit_once(':').expect("a port was added");
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port number"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if host.is_empty() {
        return Err(format!("`{text}` names no host"));
    }
    let (user, password) = match login.map(|l| l.split_once(':')) {
        None => (None, None),
        Some(None) => (None, login.map(str::to_string)),
        Some(Some((u, p))) => ((!u.is_empty()).then(|| u.to_string()), Some(p.to_string())),
    };
    Ok(RedisUrl {
        address,
        host,
        port,
        tls,
        db,
        user,
        password,
    })
}

/// Where `moat learn` writes the classifier model and Moat reads it (`bayes.storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelStorage {
    #[default]
    File,
    Redis,
}

/// The classifier model in Redis: under `state.key_prefix` + `key` (its version beside it,
/// `…:version`), checked for a newer version every `poll`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisModel {
    pub key: String,
    pub poll: Duration,
}

/// The `bayes.storage`, `bayes.redis_key` and `bayes.poll` keys: `Some` for Redis storage.
pub fn model_storage(
    storage: Option<ModelStorage>,
    key: Option<String>,
    poll: Option<HumanDuration>,
    errors: &mut dyn FnMut(&str, String),
) -> Option<RedisModel> {
    let poll = poll.map_or(Duration::from_secs(30), |p| p.0);
    if poll < Duration::from_millis(100) {
        errors("bayes.poll", "must be at least 100ms".into());
    }
    let key = key.unwrap_or_else(|| "bayes:model".into());
    if key.is_empty() {
        errors("bayes.redis_key", "must not be empty".into());
    }
    (storage == Some(ModelStorage::Redis)).then_some(RedisModel { key, poll })
}

/// Cross-section check: a model in Redis needs `state.backend: redis` (its URL and prefix).
pub fn check_model_storage(
    bayes: &super::bayes::BayesConfig,
    state: &StateConfig,
) -> Option<(String, String)> {
    (bayes.redis.is_some() && state.backend != Backend::Redis).then(|| {
        (
            "bayes.storage".into(),
            "`redis` needs `state.backend: redis` (the model uses the state store's Redis)".into(),
        )
    })
}

#[cfg(test)]
mod tests;
