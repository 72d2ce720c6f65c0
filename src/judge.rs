//! The judgement shared by the server (`deliver`) and `moat scan`: allow/deny lists, then
//! every configured check, then the verdict. No relaying here.

use crate::checks::{Finding, MessageContext};
use crate::server::Runtime;
use crate::verdict::{self, Action, Verdict};
use std::sync::Arc;

/// `findings` are those already established (sender authentication); the checks add theirs.
pub async fn judge(
    rt: &Runtime,
    message: Arc<MessageContext>,
    mut findings: Vec<Finding>,
) -> Verdict {
    let policy = &rt.config.policy;
    let sender = message.from.address();
    // Lists short-circuit: a denied sender or client is refused without running checks; an
    // allowed one is accepted without them (so list the envelope senders you trust only).
    if let Some(why) = policy.deny.matches(&sender, message.client_ip) {
        return listed("DENYLIST", why, Action::Reject, &policy.thresholds);
    }
    if let Some(why) = policy.allow.matches(&sender, message.client_ip) {
        return listed("ALLOWLIST", why, Action::Accept, &policy.thresholds);
    }
    if !rt.checks.is_empty() {
        findings.extend(rt.checks.run(message).await);
    }
    let started = std::time::Instant::now();
    let verdict = verdict::decide(findings, &policy.thresholds);
    crate::metrics::stage("verdict", started.elapsed().as_secs_f64());
    verdict
}

fn listed(id: &str, why: String, action: Action, t: &verdict::Thresholds) -> Verdict {
    Verdict {
        action,
        score: 0.0,
        required: t.required(),
        findings: vec![Finding {
            id: id.into(),
            score: 0.0,
            reason: format!(
                "listed in lists.{}: {why}",
                if action == Action::Reject {
                    "deny"
                } else {
                    "allow"
                }
            ),
            force: Some(action),
        }],
    }
}
