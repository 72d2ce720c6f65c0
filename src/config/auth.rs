//! The `dns:` and `auth:` sections: raw serde types with their documented defaults, and their
//! validation into `DnsConfig` / `AuthConfig`. Kept apart from `raw.rs` / `validate.rs` so the
//! sender-authentication feature is one file of configuration.

use super::action::Action;
use super::auth_findings::{self as policy, Rule};
pub use super::validate::is_domain;
use super::values::HumanDuration;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDns {
    pub nameservers: Vec<String>,
    pub timeout: HumanDuration,
    pub attempts: u32,
    pub cache_size: u64,
    pub negative_ttl: HumanDuration,
}

impl Default for RawDns {
    fn default() -> Self {
        RawDns {
            nameservers: Vec::new(),
            timeout: HumanDuration(Duration::from_secs(2)),
            attempts: 2,
            cache_size: 4096,
            negative_ttl: HumanDuration(Duration::from_secs(300)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAuth {
    pub enabled: bool,
    pub iprev: bool,
    pub trusted_arc_sealers: Vec<String>,
    /// Finding id → score and/or action, on top of the built-in defaults.
    pub policy: BTreeMap<String, RawRule>,
    pub dmarc: RawDmarc,
}

/// `auth.dmarc`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDmarc {
    pub org_domain: OrgDomain,
}

/// How DMARC finds a domain's organisational domain (`auth.dmarc.org_domain`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgDomain {
    /// RFC 7489 3.2: the registrable domain by the Public Suffix List
    /// (`reputation.public_suffix_list`).
    #[default]
    Psl,
    /// DMARCbis: the DNS tree walk over `_dmarc` records (mail-auth's own method).
    TreeWalk,
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            enabled: false,
            iprev: true,
            trusted_arc_sealers: Vec::new(),
            policy: BTreeMap::new(),
            dmarc: RawDmarc::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub score: Option<f64>,
    pub action: Option<RawAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawAction {
    /// No forced action: only the score counts.
    None,
    Tempfail,
    Reject,
}

/// The one resolver's settings (`crate::dns`).
#[derive(Debug, Clone, PartialEq)]
pub struct DnsConfig {
    /// Empty: the system's (`/etc/resolv.conf`).
    pub nameservers: Vec<SocketAddr>,
    /// Per query attempt; a lookup that runs out of attempts is a temperror.
    pub timeout: Duration,
    pub attempts: usize,
    pub cache_size: u64,
    /// Longest time a "no such record" answer is cached.
    pub negative_ttl: Duration,
}

impl DnsConfig {
    /// The longest one chain of lookups may wait on an unresponsive server: every check is
    /// bounded by this, so a dead DNS server delays a message by at most this much.
    pub fn deadline(&self) -> Duration {
        self.timeout * self.attempts as u32
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthConfig {
    pub enabled: bool,
    pub iprev: bool,
    /// Lower-case ARC sealer domains (`d=` of the newest ARC-Seal) whose passing chain excuses
    /// a DMARC failure (mailing lists and other forwarders).
    pub trusted_arc_sealers: Vec<String>,
    pub policy: HashMap<&'static str, Rule>,
    /// `auth.dmarc.org_domain`.
    pub dmarc_org_domain: OrgDomain,
}

/// Validates both sections; problems come back as (key, message) for the caller's list.
pub fn build(
    dns: RawDns,
    auth: RawAuth,
    problems: &mut Vec<(String, String)>,
) -> (DnsConfig, AuthConfig) {
    (build_dns(dns, problems), build_auth(auth, problems))
}

fn build_dns(raw: RawDns, problems: &mut Vec<(String, String)>) -> DnsConfig {
    let mut nameservers = Vec::new();
    for (i, text) in raw.nameservers.iter().enumerate() {
        match text.parse::<SocketAddr>() {
            Ok(addr) => nameservers.push(addr),
            Err(_) => problems.push((
                format!("dns.nameservers[{i}]"),
                format!("`{text}` is not an ip:port address, e.g. 127.0.0.1:53"),
            )),
        }
    }
    if raw.timeout.0.is_zero() {
        problems.push(("dns.timeout".into(), "must be greater than 0".into()));
    }
    if raw.attempts == 0 || raw.attempts > 10 {
        problems.push(("dns.attempts".into(), "must be between 1 and 10".into()));
    }
    DnsConfig {
        nameservers,
        timeout: raw.timeout.0,
        attempts: raw.attempts.clamp(1, 10) as usize,
        cache_size: raw.cache_size,
        negative_ttl: raw.negative_ttl.0,
    }
}

fn build_auth(raw: RawAuth, problems: &mut Vec<(String, String)>) -> AuthConfig {
    let mut sealers = Vec::new();
    for (i, d) in raw.trusted_arc_sealers.iter().enumerate() {
        if super::validate::is_domain(d) {
            sealers.push(d.trim_end_matches('.').to_ascii_lowercase());
        } else {
            problems.push((
                format!("auth.trusted_arc_sealers[{i}]"),
                format!("`{d}` is not a valid domain"),
            ));
        }
    }
    let mut table = policy::defaults();
    for (id, rule) in raw.policy {
        let key = format!("auth.policy.{id}");
        let Some(known) = policy::ID_LIST.iter().find(|k| **k == id) else {
            problems.push((
                key,
                "is not an authentication finding (see docs/auth.md)".into(),
            ));
            continue;
        };
        if rule.score.is_some_and(|s| !s.is_finite()) {
            problems.push((key.clone(), "score must be a finite number".into()));
        }
        let entry = table.entry(known).or_default();
        if let Some(score) = rule.score {
            entry.score = score;
        }
        if let Some(action) = rule.action {
            entry.force = match action {
                RawAction::None => None,
                RawAction::Tempfail => Some(Action::Tempfail),
                RawAction::Reject => Some(Action::Reject),
            };
        }
    }
    AuthConfig {
        enabled: raw.enabled,
        iprev: raw.iprev,
        trusted_arc_sealers: sealers,
        policy: table,
        dmarc_org_domain: raw.dmarc.org_domain,
    }
}

#[cfg(test)]
mod tests;
