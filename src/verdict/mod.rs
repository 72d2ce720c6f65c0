//! Findings → one action. The only place where Moat decides: at the end of DATA the total
//! score meets the configured thresholds (`actions:`), and a hard finding can force an action
//! whatever the score — the strongest of the two wins (`decide`); before it, each stage's
//! findings are looked up in the policy table and refuse or continue (`stage::decide`), with
//! the reply chosen here (`reply`), never by a check.

pub mod reply;
pub mod stage;
pub mod table;

use crate::checks::Finding;

pub use crate::config::action::{Action, Thresholds};

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub action: Action,
    pub score: f64,
    pub required: f64,
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Ids of the findings, for `tests=` in `X-Spam-Status` and logs.
    pub fn tests(&self) -> String {
        let mut ids: Vec<&str> = self.findings.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.join(",")
    }
}

/// The strongest of the score's action and any forced action wins.
pub fn decide(findings: Vec<Finding>, thresholds: &Thresholds) -> Verdict {
    // `+ 0.0` turns the empty sum (-0.0) into 0.0 for logs and headers.
    let score = findings.iter().map(|f| f.score).sum::<f64>() + 0.0;
    let forced = findings.iter().filter_map(|f| f.force).max();
    let action = thresholds
        .action_for(score)
        .max(forced.unwrap_or(Action::Accept));
    Verdict {
        action,
        score,
        required: thresholds.required(),
        findings,
    }
}

/// A message the allow/deny lists decide alone (`crate::checks::lists::check`): the finding's forced
/// action exactly (an allow-listed message is accepted even if a threshold were 0), no score.
pub fn listed(finding: Finding, thresholds: &Thresholds) -> Verdict {
    Verdict {
        action: finding.force.unwrap_or(Action::Accept),
        score: 0.0,
        required: thresholds.required(),
        findings: vec![finding],
    }
}

#[cfg(test)]
mod tests;
