//! The stages before the end of DATA, each the same three steps: run the stage's checks
//! (they report findings), let the verdict decide (`crate::verdict::stage`), then reply or
//! continue. A refusal's finding ids go to the session's log line and were counted in
//! `moat_check_results_total` when the verdict made it.

use super::Conn;
use crate::checks::Finding;
use crate::config::stages::Stage;
use crate::smtp::Reply;
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

impl Conn {
    /// Decides `stage` on what `check` reported: `Ok` carries the findings on, `Err` is the
    /// reply that refuses.
    fn decide(
        &mut self,
        stage: Stage,
        check: &str,
        findings: Vec<Finding>,
    ) -> Result<Vec<Finding>, Reply> {
        if findings.is_empty() {
            return Ok(findings);
        }
        match stage::decide(stage, check, findings, &self.rt.config.table) {
            Decision::Continue(findings) => Ok(findings),
            Decision::Refuse(refusal) => {
                // The session core logs the reply itself (`moat::refusal`, with the
                // reference id); this line says which findings decided it.
                tracing::info!(
                    target: "moat::verdict",
                    reference = %self.session.reference(),
                    stage = stage.as_str(),
                    findings = %refusal.findings.join(","),
                    "stage refused"
                );
                if stage == Stage::Connect
                    && let Some(reason) = connection_reason(check)
                {
                    crate::metrics::connection("refused", reason);
                }
                Err(self.refused(refusal))
            }
        }
    }

    /// Connect, before the pre-greet wait: the lists, then the connection rate (a client
    /// over its limit costs no DNS lookups), then the DNS lists. The findings that do not
    /// refuse are kept for the session's messages.
    pub(super) async fn connect_stage(&mut self) -> Result<(), Reply> {
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
    pub(super) fn pregreet_stage(&mut self, finding: Finding) -> Result<(), Reply> {
        let kept = self.decide(Stage::Connect, "pregreet", vec![finding])?;
        self.checks.carried.extend(kept);
        Ok(())
    }

    /// MAIL FROM, before the backend is asked: the message rate.
    pub(super) async fn mail_stage(&mut self) -> Result<(), Reply> {
        let kind = crate::checks::ratelimit::Kind::Messages;
        let ip = self.peer.ip();
        let limited = Box::pin(crate::checks::ratelimit::check(self.rt.limiter(), ip, kind)).await;
        self.decide(Stage::Mail, "ratelimit", limited.into_iter().collect())?;
        Ok(())
    }

    /// RCPT TO, before the backend is asked: the recipient rate, then greylisting.
    pub(super) async fn rcpt_stage(
        &mut self,
        from: Option<&ReversePath>,
        to: &Mailbox,
    ) -> Result<(), Reply> {
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
