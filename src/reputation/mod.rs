//! Reputation by DNS lists: DNSBL/DNSWL on the client address at connect, RHSBL on the HELO
//! and MAIL FROM domains and URIBL on link domains at the end of DATA.
//!
//! Every zone is asked in parallel through Moat's one resolver (`crate::dns`) and bounded by
//! the DNS deadline: a list that does not answer in time is not a listing. Results are
//! findings (`DNSBL_<ZONE>`, `DNSWL_<ZONE>`, `RHSBL_<ZONE>`, `URIBL_<ZONE>`, ids derived from
//! configured zone names, so bounded). Nothing is decided here: the policy table compares the
//! connect-time total with `reputation.threshold`, as postscreen does (`crate::verdict`).

mod check;
pub mod names;
pub mod pregreet;
pub mod psl;
pub mod suffixes;

pub use check::DomainCheck;

use crate::checks::Finding;
use crate::config::auth::DnsConfig;
use crate::config::reputation::{ReputationConfig, Zone};
// Runs the lookups concurrently on this task (no spawn: they borrow the lists).
use futures_util::future::join_all;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The lists of one configuration and the resolver that asks them; shared by all sessions.
pub struct Reputation {
    resolver: crate::dns::Resolver,
    config: ReputationConfig,
    /// Bound on each lookup (`DnsConfig::deadline`).
    deadline: Duration,
    /// Public suffixes, for the registrable domains RHSBL and URIBL ask about.
    suffixes: Arc<psl::SuffixList>,
}

/// What the DNSBL/DNSWL zones said about one client address: one finding per zone that
/// listed it. Each zone's weight is its finding's score in the policy table
/// (`crate::config::stages`), not the finding's own.
#[derive(Debug, Default)]
pub struct Screen {
    pub findings: Vec<Finding>,
}

impl Reputation {
    /// `None` when no list is configured. `resolver` is the runtime's one resolver;
    /// `suffixes` the list `suffixes::load` read.
    pub fn new(
        resolver: &crate::dns::Resolver,
        dns: &DnsConfig,
        config: &ReputationConfig,
        suffixes: Arc<psl::SuffixList>,
    ) -> Option<Arc<Reputation>> {
        if config.is_empty() {
            return None;
        }
        if !(config.rhsbl.is_empty() && config.uribl.is_empty()) {
            tracing::info!(source = %suffixes.source, "public suffix list for RHSBL/URIBL");
        }
        Some(Arc::new(Reputation {
            resolver: resolver.clone(),
            config: config.clone(),
            deadline: dns.deadline(),
            suffixes,
        }))
    }

    pub fn suffixes(&self) -> &Arc<psl::SuffixList> {
        &self.suffixes
    }

    pub fn config(&self) -> &ReputationConfig {
        &self.config
    }

    /// Asks every DNSBL/DNSWL zone about `ip`, all at once.
    pub async fn screen(&self, ip: IpAddr) -> Screen {
        let subject = names::reversed(ip);
        let asks = self.config.dnsbl.iter().map(|zone| async {
            let listed = self.listed("dnsbl", zone, &subject).await?;
            let kind = if zone.weight > 0.0 { "DNSBL" } else { "DNSWL" };
            let reason = format!("{ip} listed in {} ({listed})", zone.name);
            Some(Finding::fact(format!("{kind}_{}", zone.label()), reason))
        });
        let findings: Vec<Finding> = join_all(asks).await.into_iter().flatten().collect();
        Screen { findings }
    }

    /// Asks `zones` about each of `domains` (already deduplicated and bounded); one finding
    /// per zone that lists any of them, with `prefix` (`RHSBL`, `URIBL`).
    pub async fn domains(&self, prefix: &str, zones: &[Zone], domains: &[String]) -> Vec<Finding> {
        let kind = if prefix == "URIBL" { "uribl" } else { "rhsbl" };
        let asks = zones.iter().map(|zone| async move {
            let per_domain = domains.iter().map(|d| async move {
                self.listed(kind, zone, d)
                    .await
                    .map(|a| format!("{d} ({a})"))
            });
            let hits: Vec<String> = join_all(per_domain).await.into_iter().flatten().collect();
            (!hits.is_empty()).then(|| {
                let reason = format!("listed in {}: {}", zone.name, hits.join(", "));
                Finding::fact(format!("{prefix}_{}", zone.label()), reason)
            })
        });
        join_all(asks).await.into_iter().flatten().collect()
    }

    /// `Some(answer)` when `subject.zone` returns an address the zone's filter accepts.
    async fn listed(&self, kind: &'static str, zone: &Zone, subject: &str) -> Option<Ipv4Addr> {
        let name = format!("{subject}.{}.", zone.name);
        let started = Instant::now();
        let lookup = tokio::time::timeout(self.deadline, self.resolver.ipv4_lookup_raw(&name));
        let (result, answer) = match lookup.await {
            Err(_) => ("timeout", None),
            Ok(Err(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_)))) => {
                ("not_listed", None)
            }
            Ok(Err(_)) => ("error", None),
            Ok(Ok(entry)) => match entry
                .entry
                .iter()
                .copied()
                .find(|a| zone.filter.matches(*a))
            {
                Some(a) => ("listed", Some(a)),
                None => ("ignored_code", None),
            },
        };
        crate::metrics::dns_lookup(kind, result, started.elapsed().as_secs_f64());
        tracing::debug!(target: "moat::reputation", query = %name, result, "list lookup");
        answer
    }
}

/// The end-of-DATA check, when RHSBL or URIBL zones are configured.
pub fn checks(reputation: Option<&Arc<Reputation>>) -> Vec<Arc<dyn crate::checks::Check>> {
    match reputation {
        Some(r) if !(r.config.rhsbl.is_empty() && r.config.uribl.is_empty()) => {
            vec![Arc::new(DomainCheck {
                reputation: r.clone(),
            })]
        }
        _ => Vec::new(),
    }
}

/// At connect, before the greeting: the DNSBL/DNSWL findings about the client. Whether
/// their total refuses the connection (`reputation.threshold`) is the verdict's decision
/// (`crate::verdict::stage`). The zones are asked in parallel and bounded by the DNS
/// deadline, so a clean client waits one round trip.
pub async fn screen_connection(reputation: Option<&Reputation>, ip: IpAddr) -> Vec<Finding> {
    let Some(rep) = reputation.filter(|r| !r.config.dnsbl.is_empty()) else {
        return Vec::new();
    };
    let screen = rep.screen(ip).await;
    if !screen.findings.is_empty() {
        let ids: Vec<&str> = screen.findings.iter().map(|f| f.id.as_str()).collect();
        tracing::info!(target: "moat::reputation", client = %ip, findings = ?ids, "client listed");
    }
    screen.findings
}

/// The connection's findings for one message: the DNSBL/DNSWL and pre-greet ones, and
/// `PIPELINING_UNADVERTISED` when the client pipelined without having been offered it (its
/// score is the policy table's, from `reputation.pipelining_score`).
pub fn session_findings(
    table: &crate::config::stages::PolicyTable,
    connection: &[Finding],
    pipelined_unadvertised: bool,
) -> Vec<Finding> {
    let mut out = connection.to_vec();
    if pipelined_unadvertised {
        let fact = Finding::fact(
            crate::config::stages::ids::PIPELINING_UNADVERTISED,
            "sent commands ahead of replies without being offered PIPELINING",
        );
        out.push(crate::verdict::stage::scored(table, fact));
    }
    out
}
