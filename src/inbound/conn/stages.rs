//! The stages before the end of DATA, each the same three steps: run the stage's checks
//! (they report findings), let the verdict decide (`crate::verdict::stage`), then reply or
//! continue. A refusal's finding ids go to the session's log line and were counted in
//! `moat_check_results_total` when the verdict made it; its reply is the verdict's.
//!
//! | stage | checks, in order |
//! |---|---|
//! | connect | lists (`DENYLIST_CLIENT`), connection rate, DNSBL/DNSWL; then pre-greet |
//! | HELO | lists (`DENYLIST_HELO`) |
//! | MAIL | message rate |
//! | RCPT | relaying (`RELAY_DENIED`), lists (`DENYLIST_RECIPIENT`), recipient rate, greylisting |

use super::Conn;
use crate::checks::{Finding, Refusal};
use crate::config::Config;
use crate::config::stages::Stage;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::verdict::stage::{self, Decision};

/// Which `moat_connections_total{result="refused"}` reason a connect-stage check's refusal is.
fn connection_reason(check: &str) -> Option<&'static str> {
    match check {
        "lists" => Some("denylist"),
        "ratelimit" => Some("ratelimit"),
        "dnsbl" => Some("dnsbl"),
        _ => None,
    }
}

/// Decides `stage` on what `check` reported: `Ok` carries the findings on, `Err` refuses.
fn decide(
    config: &Config,
    stage: Stage,
    check: &str,
    findings: Vec<Finding>,
) -> Result<Vec<Finding>, Refusal> {
    if findings.is_empty() {
        return Ok(findings);
    }
    match stage::decide(stage, check, findings, &config.table) {
        Decision::Continue(findings) => Ok(findings),
        Decision::Refuse(refusal) => Err(refusal),
    }
}

/// HELO/EHLO: the deny-listed names. No I/O, so transcript tests drive it beside the
/// session core (`stage_tests`).
pub(super) fn helo(config: &Config, name: &str) -> Result<(), Refusal> {
    let denied = crate::checks::lists::screen_helo(&config.policy.deny, name);
    decide(config, Stage::Helo, "lists", denied.into_iter().collect())?;
    Ok(())
}

/// RCPT TO, the checks that need no I/O: relaying first (no open relay whatever the lists
/// say), then the deny-listed recipients.
pub(super) fn rcpt_local(config: &Config, to: &Mailbox) -> Result<(), Refusal> {
    let relay = crate::checks::relay::check(&config.domains, to);
    decide(config, Stage::Rcpt, "relay", relay.into_iter().collect())?;
    let denied = crate::checks::lists::screen_recipient(&config.policy.deny, to);
    decide(config, Stage::Rcpt, "lists", denied.into_iter().collect())?;
    Ok(())
}

impl Conn {
    /// A refusal of `stage`: logged with the findings that decided it and kept for the
    /// session's log line.
    fn stage_refused(&mut self, stage: Stage, check: &str, refusal: Refusal) -> Refusal {
        // The session core logs the reply itself (`moat::refusal`, with the reference id);
        // this line says which findings decided it.
        tracing::info!(
            target: "moat::verdict",
            reference = %self.session.reference(),
            stage = stage.as_str(),
            findings = %refusal.findings.join(","),
            reason = %refusal.reason,
            "stage refused"
        );
        if stage == Stage::Connect
            && let Some(reason) = connection_reason(check)
        {
            crate::metrics::connection("refused", reason);
        }
        self.checks.refused(refusal)
    }

    /// Decides `stage` on what `check` reported, recording a refusal.
    fn decide(
        &mut self,
        stage: Stage,
        check: &str,
        findings: Vec<Finding>,
    ) -> Result<Vec<Finding>, Refusal> {
        decide(&self.rt.config, stage, check, findings)
            .map_err(|refusal| self.stage_refused(stage, check, refusal))
    }

    /// Connect, before the pre-greet wait: the lists, then the connection rate (a client
    /// over its limit costs no DNS lookups), then the DNS lists. The findings that do not
    /// refuse are kept for the session's messages.
    pub(super) async fn connect_stage(&mut self) -> Result<(), Refusal> {
        let ip = self.peer.ip();
        match crate::checks::lists::screen_client(&self.rt.config.policy, ip) {
            crate::checks::lists::ClientScreen::Denied(finding) => {
                self.decide(Stage::Connect, "lists", vec![finding])?;
                return Ok(());
            }
            crate::checks::lists::ClientScreen::Trusted => return Ok(()),
            crate::checks::lists::ClientScreen::Unlisted => {}
        }
        let kind = crate::checks::ratelimit::Kind::Connections;
        let limited = Box::pin(crate::checks::ratelimit::check(self.rt.limiter(), ip, kind)).await;
        self.decide(Stage::Connect, "ratelimit", limited.into_iter().collect())?;
        let reputation = self.rt.reputation.as_deref();
        let listed = crate::reputation::screen_connection(reputation, ip).await;
        let kept = self.decide(Stage::Connect, "dnsbl", listed)?;
        self.checks.carried.extend(kept);
        Ok(())
    }

    /// A client that talked before the greeting: refused, or the finding kept.
    pub(super) fn pregreet_stage(&mut self, finding: Finding) -> Result<(), Refusal> {
        let kept = self.decide(Stage::Connect, "pregreet", vec![finding])?;
        self.checks.carried.extend(kept);
        Ok(())
    }

    /// HELO/EHLO: the deny-listed names.
    pub(super) fn helo_stage(&mut self, name: &str) -> Result<(), Refusal> {
        helo(&self.rt.config, name).map_err(|r| self.stage_refused(Stage::Helo, "lists", r))
    }

    /// MAIL FROM, before the backend is asked: the message rate.
    pub(super) async fn mail_stage(&mut self) -> Result<(), Refusal> {
        let kind = crate::checks::ratelimit::Kind::Messages;
        let ip = self.peer.ip();
        let limited = Box::pin(crate::checks::ratelimit::check(self.rt.limiter(), ip, kind)).await;
        self.decide(Stage::Mail, "ratelimit", limited.into_iter().collect())?;
        Ok(())
    }

    /// RCPT TO, before the backend is asked: relaying and the deny list, then the recipient
    /// rate, then greylisting.
    pub(super) async fn rcpt_stage(
        &mut self,
        from: Option<&ReversePath>,
        to: &Mailbox,
    ) -> Result<(), Refusal> {
        rcpt_local(&self.rt.config, to).map_err(|r| self.stage_refused(Stage::Rcpt, "", r))?;
        let kind = crate::checks::ratelimit::Kind::Recipients;
        let ip = self.peer.ip();
        let limited = Box::pin(crate::checks::ratelimit::check(self.rt.limiter(), ip, kind)).await;
        self.decide(Stage::Rcpt, "ratelimit", limited.into_iter().collect())?;
        let grey = Box::pin(crate::checks::greylist::check(
            self.rt.greylist(),
            ip,
            from,
            to,
            &self.checks.carried,
            &mut self.checks.envelope,
        ))
        .await;
        self.decide(Stage::Rcpt, "greylist", grey.into_iter().collect())?;
        Ok(())
    }
}
