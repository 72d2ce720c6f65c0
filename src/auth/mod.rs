//! Sender authentication: SPF (HELO and MAIL FROM) by Moat's own RFC 7208 evaluator
//! (`spf`), iprev, DKIM, ARC and DMARC through mail-auth, all over Moat's one resolver, reported as findings and as one
//! `Authentication-Results` header.
//!
//! The envelope checks (SPF, iprev) start as soon as MAIL FROM is accepted and run while the
//! client sends RCPT and DATA (`start`); the message checks run at the end of DATA
//! (`Authenticator::message`). Every part is bounded by the DNS deadline: what has not
//! finished by then is a temperror, never a pass.

mod arc;
mod convert;
mod dkim_length;
mod dkim_strict;
mod dkim_verify;
mod dmarc;
pub mod forged;
mod keys;
mod pct;
pub mod policy;
pub mod results;
pub mod spf;
mod taglist;

use crate::config::auth::AuthConfig;
use crate::smtp::address::ReversePath;
use convert::{dkim_res, iprev_res};
use dkim_verify::Planned;
use mail_auth::{AuthenticatedMessage, SpfOutput, SpfResult};
use results::{Arc as ArcRes, ArcStatus, DkimSignature, Dmarc, DmarcPolicy, Res, Results, Spf};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use crate::metrics;

/// One result for the DKIM lookups of a message, for metrics: `temperror` if any signature's
/// key could not be fetched, else the first signature's result, `none` without signatures.
fn dkim_summary(outputs: &[mail_auth::DkimOutput<'_>]) -> Res {
    let results: Vec<Res> = outputs.iter().map(|o| dkim_res(o.result())).collect();
    if results.contains(&Res::TempError) {
        Res::TempError
    } else {
        results.first().copied().unwrap_or(Res::None)
    }
}

/// Everything authentication needs for one configuration; shared by all sessions.
pub struct Authenticator {
    resolver: crate::dns::Resolver,
    config: AuthConfig,
    /// Moat's authserv-id (the configured hostname).
    hostname: String,
    /// Bound on each chain of lookups (`DnsConfig::deadline`).
    deadline: Duration,
    /// The Public Suffix List DMARC's organisational domains come from (`auth.dmarc`).
    suffixes: Arc<crate::reputation::psl::SuffixList>,
}

/// The envelope's results, computed while the client sends the message.
pub struct Envelope {
    ip: IpAddr,
    helo: String,
    spf_helo: Spf,
    spf_mail_from: Spf,
    /// The MAIL FROM result in mail-auth's form, which its DMARC alignment takes.
    spf_output: SpfOutput,
    mail_from_domain: String,
    iprev: Option<(Res, Option<String>)>,
}

mod task;
pub use task::EnvelopeTask;

/// What authentication adds to delivery.
pub struct Outcome {
    /// `Authentication-Results: …\r\n`, to prepend.
    pub header: String,
    pub findings: Vec<crate::checks::Finding>,
    /// The message without forged Authentication-Results fields, when any were removed.
    pub stripped: Option<Vec<u8>>,
}

impl Authenticator {
    /// `None` when `auth.enabled` is false. `resolver` is the runtime's one resolver,
    /// `suffixes` the list `reputation::suffixes::load` read.
    pub fn new(
        resolver: &crate::dns::Resolver,
        config: &crate::config::Config,
        suffixes: Arc<crate::reputation::psl::SuffixList>,
    ) -> Option<Arc<Authenticator>> {
        config.auth.enabled.then(|| {
            Arc::new(Authenticator {
                resolver: resolver.clone(),
                config: config.auth.clone(),
                hostname: config.hostname.clone(),
                deadline: config.dns.deadline(),
                suffixes,
            })
        })
    }

    /// Starts SPF and iprev for a transaction whose MAIL FROM was just accepted.
    pub fn start(self: &Arc<Self>, ip: IpAddr, helo: &str, from: &ReversePath) -> EnvelopeTask {
        let this = self.clone();
        let (helo, from) = (helo.to_string(), sender(from));
        EnvelopeTask::start(async move { this.envelope(ip, helo, from).await })
    }

    /// The lookups inside are boxed: unboxed, they made this future 20 KB, copied on every
    /// `tokio::spawn` of it (once per transaction).
    pub(crate) async fn envelope(&self, ip: IpAddr, helo: String, from: String) -> Envelope {
        let identity = identity(&helo, from);
        let mail_from_domain = identity.rsplit_once('@').map_or("", |(_, d)| d).to_string();
        let helo_is_domain = crate::config::auth::is_domain(&helo);
        let spf_helo = async {
            if !helo_is_domain {
                return Res::None;
            }
            let query = spf::Query::new(ip, &format!("postmaster@{helo}"), &helo, &self.hostname);
            self.bounded_spf("spf_helo", &query).await
        };
        let spf_mail_from = async {
            let query = spf::Query::new(ip, &identity, &helo, &self.hostname);
            self.bounded_spf("spf", &query).await
        };
        let iprev = async {
            if !self.config.iprev {
                return None;
            }
            let lookup = Box::pin(self.resolver.verify_iprev(ip));
            let (outcome, seconds) =
                metrics::timed(tokio::time::timeout(self.deadline, lookup)).await;
            let (res, ptr) = match outcome {
                Ok(out) => {
                    let ptr = out
                        .ptr
                        .as_ref()
                        .and_then(|p| p.first())
                        .map(|p| p.to_string());
                    (iprev_res(&out.result), ptr)
                }
                Err(_) => (Res::TempError, None),
            };
            metrics::dns_lookup("iprev", res.as_str(), seconds);
            Some((res, ptr))
        };
        let (helo_out, mail_out, iprev) = tokio::join!(spf_helo, spf_mail_from, iprev);
        Envelope {
            ip,
            spf_helo: Spf {
                result: helo_out,
                identity: format!("postmaster@{helo}"),
            },
            spf_mail_from: Spf {
                result: mail_out,
                identity,
            },
            helo,
            spf_output: spf::for_dmarc(&mail_from_domain, mail_out),
            mail_from_domain,
            iprev,
        }
    }

    /// Moat's SPF evaluator within the deadline (else temperror); recorded as DNS lookup
    /// `kind`.
    async fn bounded_spf(&self, kind: &'static str, query: &spf::Query) -> Res {
        let lookup = Box::pin(spf::check_host(&self.resolver, query));
        let (outcome, seconds) = metrics::timed(tokio::time::timeout(self.deadline, lookup)).await;
        let result = outcome.map_or(Res::TempError, |o| o.result);
        metrics::dns_lookup(kind, result.as_str(), seconds);
        result
    }

    /// The end of DATA: DKIM, ARC, DMARC on the message, combined with the envelope's
    /// results into the header and the findings. `envelope` is the task `start` returned,
    /// or `None` to run the envelope checks now.
    pub async fn message(
        self: &Arc<Self>,
        envelope: Option<EnvelopeTask>,
        ip: IpAddr,
        helo: &str,
        from: &ReversePath,
        message: &[u8],
    ) -> Outcome {
        // One deadline for everything still pending at the end of DATA, so a dead DNS
        // server delays the reply by at most `dns.timeout x dns.attempts`.
        let until = Instant::now() + self.deadline;
        let task = match envelope {
            Some(task) => task,
            None => self.start(ip, helo, from),
        };
        let mut task = task;
        let envelope = match tokio::time::timeout_at(until, &mut task).await {
            Ok(Some(envelope)) => envelope,
            _ => {
                task.abort();
                Envelope::timed_out(ip, helo, from, self.config.iprev)
            }
        };
        let results = self.results(envelope, message, until).await;
        Outcome {
            header: results.header(&self.hostname),
            findings: results.findings(),
            stripped: forged::strip(message, &self.hostname),
        }
    }

    async fn results(&self, envelope: Envelope, message: &[u8], until: Instant) -> Results {
        // Not strict: signatures with `l=` are verified, and one that leaves part of the body
        // unsigned is reported as such (`dkim_length`) instead of refused unread.
        let mut parsed = AuthenticatedMessage::parse_with_opts(message, None, false);
        // DKIM-Signature fields that fail the strict checks leave the parsed message here,
        // so neither the library nor DMARC ever count them.
        let plan = parsed.as_mut().map(dkim_verify::screen).unwrap_or_default();
        let (dkim, arc, dmarc) = match &parsed {
            Some(msg) => {
                let checks = self.message_checks(msg, &plan, &envelope);
                match tokio::time::timeout_at(until, checks).await {
                    Ok(done) => done,
                    Err(_) => timed_out(msg, &plan),
                }
            }
            None => (Vec::new(), no_arc(), bad_from("unparseable header section")),
        };
        // Only a chain that passes can excuse anything: a failed chain vouches for nothing.
        let trusted_forwarder = arc.result == ArcStatus::Pass
            && arc
                .sealer
                .as_ref()
                .is_some_and(|s| self.config.trusted_arc_sealers.contains(s));
        Results {
            helo: envelope.helo,
            client_ip: envelope.ip,
            spf_helo: envelope.spf_helo,
            spf_mail_from: envelope.spf_mail_from,
            dkim,
            arc,
            dmarc,
            iprev: envelope.iprev,
            trusted_forwarder,
        }
    }

    async fn message_checks(
        &self,
        msg: &AuthenticatedMessage<'_>,
        plan: &[Planned<'_>],
        envelope: &Envelope,
    ) -> (Vec<DkimSignature>, ArcRes, Dmarc) {
        let ((dkim_out, dkim_secs), ((arc, arc_dns), arc_secs)) = tokio::join!(
            metrics::timed(Box::pin(self.resolver.verify_dkim(msg))),
            metrics::timed(Box::pin(self.arc(msg)))
        );
        metrics::dns_lookup("dkim", dkim_summary(&dkim_out).as_str(), dkim_secs);
        let collect = dkim_verify::collect(&self.resolver, plan, msg, &dkim_out);
        let (dkim, demoted) = Box::pin(collect).await;
        // DMARC counts only the signatures Moat itself calls a pass.
        let counted: Vec<mail_auth::DkimOutput<'_>> = (dkim_out.iter().enumerate())
            .filter(|(i, _)| !demoted.contains(i))
            .map(|(_, o)| o.clone())
            .collect();
        metrics::dns_lookup("arc", arc_dns, arc_secs);
        if let Some(why) = from_problem(msg) {
            return (dkim, arc, bad_from(why));
        }
        let evidence = dmarc::Evidence {
            msg,
            dkim: &counted,
            mail_from_domain: &envelope.mail_from_domain,
            spf_output: &envelope.spf_output,
            spf: envelope.spf_mail_from.result,
        };
        let mode = self.config.dmarc_org_domain;
        let evaluate = dmarc::evaluate(&self.resolver, mode, &self.suffixes, evidence);
        let (mut dmarc, seconds) = metrics::timed(Box::pin(evaluate)).await;
        metrics::dns_lookup("dmarc", dmarc.result.as_str(), seconds);
        if dmarc.result == Res::Fail {
            let apply = pct::apply(&self.resolver, &dmarc.from_domain, dmarc.policy);
            dmarc.policy = Box::pin(apply).await;
        }
        (dkim, arc, dmarc)
    }

    /// The ARC chain: Moat's structure checks, then the library's signature checks for a
    /// well-formed chain, mapped onto none/pass/fail (`arc::status`). Also the result for
    /// the DNS lookup metric, which stays `temperror` when DNS failed: the header says
    /// `fail` (RFC 8617 has nothing else), the metric is the resolver's health signal.
    async fn arc(&self, msg: &AuthenticatedMessage<'_>) -> (ArcRes, &'static str) {
        let sealer = arc::newest_sealer(&msg.headers);
        let chain = match arc::structure(&msg.headers) {
            Ok(None) => return (no_arc(), "none"),
            Err(why) => {
                let arc = ArcRes {
                    result: ArcStatus::Fail,
                    sealer,
                    reason: Some(why),
                };
                return (arc, "fail");
            }
            Ok(Some(chain)) => chain,
        };
        let out = Box::pin(self.resolver.verify_arc(msg)).await;
        let (result, mut reason) = arc::status(out.result());
        let dns = match out.result() {
            mail_auth::DkimResult::TempError(_) => "temperror",
            _ => result.as_str(),
        };
        if keys::worth_checking(out.result()) {
            let mut rechecked = keys::Rechecks::default();
            for (domain, selector) in &chain.keys {
                let problem = rechecked.problem(&self.resolver, domain, selector).await;
                if let Some((_, why)) = problem {
                    reason = Some(why);
                    break;
                }
            }
        }
        let arc = ArcRes {
            result,
            sealer,
            reason,
        };
        (arc, dns)
    }
}

impl Envelope {
    /// SPF for the MAIL FROM identity passed (greylisting lets such senders through).
    pub fn spf_passed(&self) -> bool {
        self.spf_mail_from.result == Res::Pass
    }

    /// The envelope checks did not finish in time: temperrors, never a pass.
    fn timed_out(ip: IpAddr, helo: &str, from: &ReversePath, iprev: bool) -> Envelope {
        let identity = identity(helo, sender(from));
        let domain = identity.rsplit_once('@').map_or("", |(_, d)| d).to_string();
        Envelope {
            ip,
            helo: helo.to_string(),
            spf_helo: Spf {
                result: Res::TempError,
                identity: format!("postmaster@{helo}"),
            },
            spf_mail_from: Spf {
                result: Res::TempError,
                identity,
            },
            spf_output: SpfOutput::new(domain.clone()).with_result(SpfResult::TempError),
            mail_from_domain: domain,
            iprev: iprev.then_some((Res::TempError, None)),
        }
    }
}

/// The SPF MAIL FROM identity. RFC 7208 2.4: a null reverse-path is checked as
/// postmaster@<HELO domain>.
fn identity(helo: &str, from: String) -> String {
    if from.is_empty() {
        format!("postmaster@{helo}")
    } else {
        from
    }
}

/// The MAIL FROM address, empty for the null reverse-path.
fn sender(from: &ReversePath) -> String {
    from.address()
}

/// DMARC needs exactly one From field naming one author domain (RFC 7489 6.6.1).
fn from_problem(msg: &AuthenticatedMessage<'_>) -> Option<&'static str> {
    let fields = msg
        .headers
        .iter()
        .filter(|(name, _)| name.trim_ascii().eq_ignore_ascii_case(b"from"))
        .count();
    let mut domains: Vec<String> = msg
        .from
        .iter()
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    domains.dedup();
    match (fields, domains.len()) {
        (0, _) => Some("no From header"),
        (1, 1) => None,
        (1, 0) => Some("From header without a domain"),
        (1, _) => Some("From header with several author domains"),
        _ => Some("several From headers"),
    }
}

/// The message checks ran out of time: every signature present is a temperror; an ARC
/// chain fails (RFC 8617 has no temperror), with the timeout as its reason.
fn timed_out(
    msg: &AuthenticatedMessage<'_>,
    plan: &[Planned<'_>],
) -> (Vec<DkimSignature>, ArcRes, Dmarc) {
    let dkim = dkim_verify::timed_out(plan);
    let (result, reason) = match arc::structure(&msg.headers) {
        Ok(None) => (ArcStatus::None, None),
        Ok(Some(_)) => (ArcStatus::Fail, Some("temporary: DNS timeout".to_string())),
        Err(why) => (ArcStatus::Fail, Some(why)),
    };
    let arc = ArcRes {
        result,
        sealer: arc::newest_sealer(&msg.headers),
        reason,
    };
    let dmarc = match from_problem(msg) {
        Some(why) => bad_from(why),
        None => Dmarc {
            result: Res::TempError,
            from_domain: msg.from().rsplit_once('@').map_or("", |(_, d)| d).into(),
            policy: DmarcPolicy::None,
            bad_from: None,
        },
    };
    (dkim, arc, dmarc)
}

fn no_arc() -> ArcRes {
    ArcRes {
        result: ArcStatus::None,
        sealer: None,
        reason: None,
    }
}

fn bad_from(why: &'static str) -> Dmarc {
    Dmarc {
        result: Res::Fail,
        from_domain: String::new(),
        policy: DmarcPolicy::None,
        bad_from: Some(why),
    }
}
