//! The judgement shared by the server (`deliver`) and `moat scan`: allow/deny lists, then
//! every configured check, then the verdict. No relaying here.

use crate::checks::{Finding, MessageContext};
use crate::runtime::Runtime;
use crate::smtp::address::ReversePath;
use crate::verdict::{self, Verdict};
use std::net::IpAddr;
use std::sync::Arc;

/// `findings` are those already established (sender authentication); the checks add theirs.
pub async fn judge(rt: &Runtime, message: Arc<MessageContext>, findings: Vec<Finding>) -> Verdict {
    let policy = &rt.config.policy;
    // The one policy table for this message (`crate::verdict::table`): the configuration's
    // entries, the rules' `score:`/`force:`, `rules.scores` over all.
    let table = rt.table.now();
    // Lists short-circuit (`crate::checks::lists`): a denied sender, HELO or client is refused
    // without running checks; an allowed one is accepted without them (the policy table
    // gives `DENYLIST` and `ALLOWLIST` their forced actions).
    if let Some(listed) = crate::checks::lists::check(policy, &message) {
        crate::metrics::check_result("lists", &listed.id);
        let listed = verdict::stage::scored(table, listed);
        return verdict::listed(listed, &policy.thresholds);
    }
    // The table weighs every finding: checks report facts (rules, the classifier, malware,
    // authentication, DNS lists, the session's refusals); only findings decided here force
    // an action.
    let stage = crate::config::stages::Stage::Data;
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .map(|f| verdict::stage::weighed_at(stage, table, f))
        .collect();
    if !rt.checks.is_empty() {
        let reported = rt.checks.run_by_check(message).await;
        findings.extend(
            reported
                .into_iter()
                .map(|(check, f)| verdict::stage::weighed_for(stage, table, check, f)),
        );
    }
    let started = std::time::Instant::now();
    let verdict = verdict::decide(findings, &policy.thresholds);
    crate::metrics::stage("verdict", started.elapsed().as_secs_f64());
    verdict
}

/// Sender authentication, when enabled: the Authentication-Results header and the findings,
/// for the server at the end of DATA and for `moat scan` alike. `started` is the SPF/iprev
/// task begun at MAIL FROM (`None`: run it now). Either way, the message without forged
/// Authentication-Results fields (ones that claim Moat's hostname would deceive the backend
/// even when Moat writes none) is returned when something was removed.
pub async fn authenticate(
    rt: &Runtime,
    reference: &str,
    client_ip: IpAddr,
    helo: &str,
    from: &ReversePath,
    started: Option<crate::auth::EnvelopeTask>,
    body: &[u8],
) -> (String, Vec<Finding>, Option<Vec<u8>>) {
    let Some(auth) = rt.auth.as_ref() else {
        let stripped = crate::auth::forged::strip(body, &rt.config.hostname);
        return (String::new(), Vec::new(), stripped);
    };
    let timer = std::time::Instant::now();
    let outcome = auth.message(started, client_ip, helo, from, body).await;
    // Counted like any check: stage `check_auth`, one result per finding id.
    let seconds = timer.elapsed().as_secs_f64();
    crate::metrics::check_ran("auth", seconds, &outcome.findings);
    // Findings that force an action explain a refusal: logged at info with the reference.
    let ids: Vec<&str> = outcome.findings.iter().map(|f| f.id.as_str()).collect();
    let forged = outcome.stripped.is_some();
    // Whether one forces an action is the policy table's answer, not the producer's.
    let table = rt.table.now();
    let forcing = |f: &Finding| table.get(&f.id).is_some_and(|e| e.force.is_some());
    if outcome.findings.iter().any(forcing) {
        tracing::info!(target: "moat::auth", reference, findings = ?ids, forged_removed = forged, "authentication");
    } else {
        tracing::debug!(target: "moat::auth", reference, findings = ?ids, forged_removed = forged, "authentication");
    }
    (outcome.header, outcome.findings, outcome.stripped)
}
