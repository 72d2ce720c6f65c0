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
mod tests {
    use super::*;

    fn finding(score: f64, force: Option<Action>) -> Finding {
        Finding {
            id: "X".into(),
            score,
            reason: String::new(),
            force,
        }
    }

    #[test]
    fn no_findings_accepts() {
        assert_eq!(
            decide(vec![], &Thresholds::default()).action,
            Action::Accept
        );
    }

    #[test]
    fn strongest_forced_action_wins_and_scores_add_up() {
        let v = decide(
            vec![
                finding(1.0, Some(Action::Tempfail)),
                finding(2.5, Some(Action::Reject)),
                finding(-0.5, None),
            ],
            &Thresholds::default(),
        );
        assert_eq!(v.action, Action::Reject);
        assert_eq!(v.score, 3.0);
    }

    #[test]
    fn thresholds_pick_the_strongest_action_reached() {
        let t = Thresholds::default();
        assert_eq!(t.action_for(3.9), Action::Accept);
        assert_eq!(t.action_for(4.0), Action::AddHeader);
        assert_eq!(t.action_for(12.0), Action::Quarantine);
        assert_eq!(t.action_for(15.0), Action::Reject);
        assert_eq!(t.required(), 4.0);
    }

    #[test]
    fn forced_action_beats_a_low_score_but_not_a_stronger_one() {
        let t = Thresholds::default();
        let v = decide(vec![finding(0.0, Some(Action::Quarantine))], &t);
        assert_eq!(v.action, Action::Quarantine);
        let v = decide(vec![finding(20.0, Some(Action::AddHeader))], &t);
        assert_eq!(v.action, Action::Reject);
    }

    #[test]
    fn action_order_is_strength_order() {
        assert!(Action::Accept < Action::AddHeader);
        assert!(Action::AddHeader < Action::RewriteSubject);
        assert!(Action::RewriteSubject < Action::Quarantine);
        assert!(Action::Quarantine < Action::Tempfail);
        assert!(Action::Tempfail < Action::Reject);
        assert_eq!(
            Action::parse("rewrite_subject"),
            Some(Action::RewriteSubject)
        );
    }
}
