//! The judgement shared by the server (`deliver`) and `moat scan`: allow/deny lists, then
//! every configured check, then the verdict. No relaying here.

use crate::checks::{Finding, MessageContext};
use crate::server::Runtime;
use crate::verdict::{self, Verdict};
use std::sync::Arc;

/// `findings` are those already established (sender authentication); the checks add theirs.
pub async fn judge(
    rt: &Runtime,
    message: Arc<MessageContext>,
    mut findings: Vec<Finding>,
) -> Verdict {
    let policy = &rt.config.policy;
    // Lists short-circuit (`crate::lists`): a denied sender, HELO or client is refused
    // without running checks; an allowed one is accepted without them.
    if let Some(verdict) = crate::lists::judge(policy, &message) {
        return verdict;
    }
    if !rt.checks.is_empty() {
        findings.extend(rt.checks.run(message).await);
    }
    let started = std::time::Instant::now();
    let verdict = verdict::decide(findings, &policy.thresholds);
    crate::metrics::stage("verdict", started.elapsed().as_secs_f64());
    verdict
}
