//! What each authentication result is worth by default: finding id → score and optional
//! forced action, overridden by `auth.policy`. The end-of-DATA section of the policy table
//! (`super::stages`); plain data, read by the authentication checks (`crate::auth::policy`).

use super::action::Action;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rule {
    pub score: f64,
    pub force: Option<Action>,
}

/// Every finding id the authentication checks can report.
pub const ID_LIST: &[&str] = &[
    "SPF_PASS",
    "SPF_FAIL",
    "SPF_SOFTFAIL",
    "SPF_NEUTRAL",
    "SPF_NONE",
    "SPF_PERMERROR",
    "SPF_TEMPERROR",
    "SPF_HELO_PASS",
    "SPF_HELO_FAIL",
    "SPF_HELO_SOFTFAIL",
    "SPF_HELO_NEUTRAL",
    "SPF_HELO_NONE",
    "SPF_HELO_PERMERROR",
    "SPF_HELO_TEMPERROR",
    "DKIM_PASS",
    "DKIM_FAIL",
    "DKIM_NEUTRAL",
    "DKIM_POLICY",
    "DKIM_PERMERROR",
    "DKIM_TEMPERROR",
    "DKIM_NONE",
    "ARC_PASS",
    "ARC_FAIL",
    "ARC_PERMERROR",
    "ARC_TEMPERROR",
    "ARC_NONE",
    "DMARC_PASS",
    "DMARC_NONE",
    "DMARC_FAIL",
    "DMARC_QUARANTINE",
    "DMARC_REJECT",
    "DMARC_FORWARDED",
    "DMARC_BAD_FROM",
    "DMARC_PERMERROR",
    "DMARC_TEMPERROR",
    "IPREV_PASS",
    "IPREV_FAIL",
    "IPREV_PERMERROR",
    "IPREV_TEMPERROR",
    "IPREV_NONE",
];

/// Built-in policy. Temperrors cost nothing by default (a DNS outage must not bounce mail,
/// and a temperror is never a pass either); DMARC p=reject rejects; p=quarantine scores high
/// so the score thresholds (rules engine) quarantine or mark it.
pub fn defaults() -> HashMap<&'static str, Rule> {
    let score = |score| Rule { score, force: None };
    let reject = Rule {
        score: 10.0,
        force: Some(Action::Reject),
    };
    let mut table: HashMap<&'static str, Rule> =
        ID_LIST.iter().map(|id| (*id, Rule::default())).collect();
    for (id, rule) in [
        ("SPF_FAIL", score(3.0)),
        ("SPF_SOFTFAIL", score(1.0)),
        ("SPF_PERMERROR", score(1.0)),
        ("SPF_HELO_FAIL", score(2.0)),
        ("SPF_HELO_PERMERROR", score(0.5)),
        ("DKIM_FAIL", score(1.0)),
        ("DKIM_PERMERROR", score(0.5)),
        // Verified, but content follows the `l=` length: it could be anyone's.
        ("DKIM_POLICY", score(1.0)),
        ("ARC_FAIL", score(0.5)),
        ("DMARC_FAIL", score(2.0)),
        ("DMARC_QUARANTINE", score(6.0)),
        ("DMARC_REJECT", reject),
        ("DMARC_BAD_FROM", reject),
        ("DMARC_PERMERROR", score(0.5)),
        // Evidence of legitimate mail: the From domain vouches for the message through an
        // aligned SPF or DKIM pass. Small, because a spammer's own domain passes too: it
        // offsets one weak sign of bulk mail and can never carry a message below a clear
        // sign of spam (`moat rules fit` keeps it within [-cap/2, 0] and fits its weight
        // from a site's own mail when DNS is on).
        ("DMARC_PASS", score(-0.5)),
        ("IPREV_FAIL", score(1.0)),
    ] {
        table.insert(id, rule);
    }
    table
}

#[cfg(test)]
mod tests;
