//! Reputation by DNS lists: DNSBL/DNSWL on the client address at connect, RHSBL on the HELO
//! and MAIL FROM domains and URIBL on link domains at the end of DATA.
//!
//! Every zone is asked in parallel through Moat's one resolver (`crate::dns`) and bounded by
//! the DNS deadline: a list that does not answer in time is not a listing, but leaves a
//! `DNSBL_TEMPERROR`/`RHSBL_TEMPERROR`/`URIBL_TEMPERROR` finding (score 0) naming it. Results are
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
use crate::config::stages::ids;
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
            match self.listed("dnsbl", zone, &subject).await {
                Answer::Listed(listed) => {
                    let kind = if zone.weight > 0.0 { "DNSBL" } else { "DNSWL" };
                    let reason = format!("{ip} listed in {} ({listed})", zone.name);
                    Ok(Some(Finding::fact(
                        format!("{kind}_{}", zone.label()),
                        reason,
                    )))
                }
                Answer::NotListed => Ok(None),
                Answer::Failed(why) => Err(format!("{} ({why})", zone.name)),
            }
        });
        let answers = join_all(asks).await;
        Screen {
            findings: findings_and_failures(ids::DNSBL_TEMPERROR, answers),
        }
    }

    /// Asks `zones` about each of `domains` (already deduplicated and bounded); one finding
    /// per zone that lists any of them, with `prefix` (`RHSBL`, `URIBL`), and one
    /// `<prefix>_TEMPERROR` naming the zones that failed to answer for a domain none of
    /// their answers listed.
    pub async fn domains(&self, prefix: &str, zones: &[Zone], domains: &[String]) -> Vec<Finding> {
        let (kind, temperror) = if prefix == "URIBL" {
            ("uribl", ids::URIBL_TEMPERROR)
        } else {
            ("rhsbl", ids::RHSBL_TEMPERROR)
        };
        let asks = zones.iter().map(|zone| async move {
            let per_domain = domains
                .iter()
                .map(|d| async move { (d, self.listed(kind, zone, d).await) });
            let (mut hits, mut failed) = (Vec::new(), None);
            for (d, answer) in join_all(per_domain).await {
                match answer {
                    Answer::Listed(a) => hits.push(format!("{d} ({a})")),
                    Answer::NotListed => {}
                    Answer::Failed(why) => failed = Some(format!("{} ({why})", zone.name)),
                }
            }
            match (hits.is_empty(), failed) {
                (false, _) => {
                    let reason = format!("listed in {}: {}", zone.name, hits.join(", "));
                    Ok(Some(Finding::fact(
                        format!("{prefix}_{}", zone.label()),
                        reason,
                    )))
                }
                (true, Some(failed)) => Err(failed),
                (true, None) => Ok(None),
            }
        });
        findings_and_failures(temperror, join_all(asks).await)
    }

    /// What `subject.zone` says: listed (an address the zone's filter accepts), not listed
    /// (no such name, or only codes the filter ignores), or unknown (no answer within the
    /// deadline, a DNS error).
    async fn listed(&self, kind: &'static str, zone: &Zone, subject: &str) -> Answer {
        let name = format!("{subject}.{}.", zone.name);
        let started = Instant::now();
        let lookup = tokio::time::timeout(self.deadline, self.resolver.ipv4_lookup_raw(&name));
        let (result, answer) = match lookup.await {
            Err(_) => ("timeout", Answer::Failed("timeout")),
            Ok(Err(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_)))) => {
                ("not_listed", Answer::NotListed)
            }
            Ok(Err(_)) => ("error", Answer::Failed("error")),
            Ok(Ok(entry)) => match entry
                .entry
                .iter()
                .copied()
                .find(|a| zone.filter.matches(*a))
            {
                Some(a) => ("listed", Answer::Listed(a)),
                None => ("ignored_code", Answer::NotListed),
            },
        };
        crate::metrics::dns_lookup(kind, result, started.elapsed().as_secs_f64());
        tracing::debug!(target: "moat::reputation", query = %name, result, "list lookup");
        answer
    }
}

/// One list lookup's outcome.
enum Answer {
    Listed(Ipv4Addr),
    NotListed,
    /// No answer in time, or a DNS error: the listing is unknown.
    Failed(&'static str),
}

/// The zones' findings, plus one `temperror` finding (score 0 in the policy table) naming
/// every zone that could not answer: a list that does not answer is not a listing, but the
/// verdict's findings say that something was not asked (logs, `X-Spam-Status`, autolearn's
/// check-error guard).
fn findings_and_failures(
    temperror: &str,
    answers: Vec<Result<Option<Finding>, String>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut failed = Vec::new();
    for answer in answers {
        match answer {
            Ok(f) => findings.extend(f),
            Err(zone) => failed.push(zone),
        }
    }
    if !failed.is_empty() {
        let reason = format!("no answer from {}", failed.join(", "));
        findings.push(Finding::fact(temperror, reason));
    }
    findings
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
    // A silent zone is counted per lookup (`moat_dns_lookups_total{result="timeout"}`), not
    // logged per client: an outage would fill the log.
    let listed: Vec<&str> = (screen.findings.iter())
        .map(|f| f.id.as_str())
        .filter(|id| *id != ids::DNSBL_TEMPERROR)
        .collect();
    if !listed.is_empty() {
        tracing::info!(target: "moat::reputation", client = %ip, findings = ?listed, "client listed");
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
