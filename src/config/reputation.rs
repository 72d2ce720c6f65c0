//! The `reputation` section: DNS block/allow lists for the client address (DNSBL/DNSWL), for
//! the HELO and MAIL FROM domains (RHSBL) and for the domains of links (URIBL).
//!
//! Each list is written like Postfix postscreen's `postscreen_dnsbl_sites`:
//! `zone[=filter][*weight]`, e.g. `zen.spamhaus.org=127.0.0.[2..11]*3`. The filter says which
//! returned addresses count (each octet a number, `[a..b]` range or `[a;b;c]` list, or
//! `&a.b.c.d` for a bitmask any of whose bits must be set); no filter = any answer counts.
//! The weight (default 1) may be negative: that is an allow list (DNSWL).

use super::values::HumanDuration;
use serde::Deserialize;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawReputation {
    pub dnsbl: Vec<String>,
    pub threshold: f64,
    pub rhsbl: Vec<String>,
    pub uribl: Vec<String>,
    pub max_uri_lookups: usize,
    pub pregreet_wait: HumanDuration,
    pub pregreet_action: PregreetAction,
    pub pregreet_score: f64,
    pub pipelining_score: f64,
    pub public_suffix_list: Option<String>,
}

/// What happens to a client that talks before the greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PregreetAction {
    /// A `PREGREET` finding on each of its messages.
    #[default]
    Finding,
    /// `554 5.5.1` instead of the greeting, and the connection is closed.
    Reject,
}

impl Default for RawReputation {
    fn default() -> Self {
        RawReputation {
            dnsbl: Vec::new(),
            threshold: 3.0,
            rhsbl: Vec::new(),
            uribl: Vec::new(),
            max_uri_lookups: 20,
            pregreet_wait: HumanDuration(Duration::ZERO),
            pregreet_action: PregreetAction::Finding,
            pregreet_score: 3.0,
            pipelining_score: 1.0,
            public_suffix_list: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReputationConfig {
    /// Zones asked about the client IP at connect.
    pub dnsbl: Vec<Zone>,
    /// Total DNSBL weight at or above which the connection is refused; 0 = never refused.
    pub threshold: f64,
    /// Zones asked about the HELO and MAIL FROM domains.
    pub rhsbl: Vec<Zone>,
    /// Zones asked about the registrable domains of links in a message.
    pub uribl: Vec<Zone>,
    /// At most this many distinct link domains are looked up per message.
    pub max_uri_lookups: usize,
    /// How long Moat waits before its greeting for a client that talks first; 0 = off.
    pub pregreet_wait: Duration,
    pub pregreet_action: PregreetAction,
    pub pregreet_score: f64,
    /// Score of `PIPELINING_UNADVERTISED` (commands sent ahead without PIPELINING offered).
    pub pipelining_score: f64,
    /// Where the public suffixes come from, for the registrable domains RHSBL and URIBL ask
    /// about (read by `crate::reputation::suffixes` when either is configured).
    pub public_suffix_list: SuffixSource,
}

/// `reputation.public_suffix_list`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SuffixSource {
    /// Not set: Debian's list when installed, else the builtin one.
    #[default]
    Default,
    /// `builtin`: the small embedded list.
    Builtin,
    /// A file, relative to the configuration file.
    File(PathBuf),
}

impl ReputationConfig {
    /// No DNS list configured (the pre-greet test needs no resolver).
    pub fn is_empty(&self) -> bool {
        self.dnsbl.is_empty() && self.rhsbl.is_empty() && self.uribl.is_empty()
    }
}

/// One configured list.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Lower-case zone name without trailing dot, e.g. `zen.spamhaus.org`.
    pub name: String,
    pub filter: Filter,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Any,
    /// Per octet, the values that match.
    Octets([Vec<(u8, u8)>; 4]),
    /// Any of these bits set in the answer.
    Mask(u32),
}

impl Filter {
    pub fn matches(&self, answer: Ipv4Addr) -> bool {
        match self {
            Filter::Any => true,
            Filter::Octets(octets) => octets
                .iter()
                .zip(answer.octets())
                .all(|(ranges, v)| ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi)),
            Filter::Mask(mask) => u32::from(answer) & mask != 0,
        }
    }
}

impl Zone {
    /// An id for findings and metrics, bounded because it derives from configuration:
    /// `zen.spamhaus.org` → `ZEN_SPAMHAUS_ORG`.
    pub fn label(&self) -> String {
        self.name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// Parses `zone[=filter|&mask][*weight]`.
pub fn parse_zone(text: &str) -> Result<Zone, String> {
    let text = text.trim();
    let (rest, weight) = match text.rsplit_once('*') {
        Some((rest, w)) => (
            rest,
            w.trim()
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite())
                .ok_or_else(|| format!("`{w}` is not a weight"))?,
        ),
        None => (text, 1.0),
    };
    let (name, filter) = if let Some((name, f)) = rest.split_once('=') {
        (name, Filter::Octets(parse_octets(f)?))
    } else if let Some((name, m)) = rest.split_once('&') {
        let mask: Ipv4Addr = m.parse().map_err(|_| format!("`{m}` is not a mask"))?;
        (name, Filter::Mask(u32::from(mask)))
    } else {
        (rest, Filter::Any)
    };
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if !crate::config::auth::is_domain(&name) {
        return Err(format!("`{name}` is not a DNS zone"));
    }
    Ok(Zone {
        name,
        filter,
        weight,
    })
}

fn parse_octets(text: &str) -> Result<[Vec<(u8, u8)>; 4], String> {
    let parts = split_octets(text);
    let bad = || format!("`{text}` is not a filter like 127.0.0.[2..11]");
    if parts.len() != 4 {
        return Err(bad());
    }
    let mut out: [Vec<(u8, u8)>; 4] = Default::default();
    for (slot, part) in out.iter_mut().zip(parts) {
        let inner = match part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            Some(inner) => inner,
            None => part,
        };
        for item in inner.split(';') {
            let range = match item.split_once("..") {
                Some((lo, hi)) => (lo.parse().ok(), hi.parse().ok()),
                None => (item.parse().ok(), item.parse().ok()),
            };
            match range {
                (Some(lo), Some(hi)) if lo <= hi => slot.push((lo, hi)),
                _ => return Err(bad()),
            }
        }
    }
    Ok(out)
}

/// Splits on the dots between octets, not the ones inside `[a..b]`.
fn split_octets(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut depth) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Validates the section; problems are `(key, message)` pairs.
pub fn build(
    origin: &str,
    raw: RawReputation,
    problems: &mut Vec<(String, String)>,
) -> ReputationConfig {
    let mut zones = |key: &str, list: Vec<String>| -> Vec<Zone> {
        let mut out = Vec::new();
        for (i, text) in list.iter().enumerate() {
            match parse_zone(text) {
                Ok(z) => out.push(z),
                Err(e) => problems.push((format!("reputation.{key}[{i}]"), e)),
            }
        }
        out
    };
    let dnsbl = zones("dnsbl", raw.dnsbl);
    let rhsbl = zones("rhsbl", raw.rhsbl);
    let uribl = zones("uribl", raw.uribl);
    if !(raw.threshold.is_finite() && raw.threshold >= 0.0) {
        problems.push((
            "reputation.threshold".into(),
            "must be a number ≥ 0 (0 never refuses)".into(),
        ));
    }
    let public_suffix_list = match raw.public_suffix_list.as_deref() {
        None => SuffixSource::Default,
        Some("builtin") => SuffixSource::Builtin,
        Some(path) => SuffixSource::File(super::paths::resolve(origin, path)),
    };
    ReputationConfig {
        public_suffix_list,
        dnsbl,
        threshold: raw.threshold,
        rhsbl,
        uribl,
        max_uri_lookups: raw.max_uri_lookups,
        pregreet_wait: raw.pregreet_wait.0,
        pregreet_action: raw.pregreet_action,
        pregreet_score: raw.pregreet_score,
        pipelining_score: raw.pipelining_score,
    }
}

#[cfg(test)]
mod tests;
