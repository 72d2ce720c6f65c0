//! Findings → one action. The only place where Moat decides what happens to a message.

use crate::checks::Finding;

/// What happens to a message, weakest first. (Thresholds for marking, quarantine and
/// score-based rejection arrive with the rules engine; forced actions work today.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Accept,
    Tempfail,
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Tempfail => "tempfail",
            Action::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub action: Action,
    pub score: f64,
    pub findings: Vec<Finding>,
}

/// The strongest forced action wins; otherwise the message is accepted.
pub fn decide(findings: Vec<Finding>) -> Verdict {
    // `+ 0.0` turns the empty sum (-0.0) into 0.0 for logs and headers.
    let score = findings.iter().map(|f| f.score).sum::<f64>() + 0.0;
    let action = findings
        .iter()
        .filter_map(|f| f.force)
        .max()
        .unwrap_or(Action::Accept);
    Verdict {
        action,
        score,
        findings,
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
        assert_eq!(decide(vec![]).action, Action::Accept);
    }

    #[test]
    fn strongest_forced_action_wins_and_scores_add_up() {
        let v = decide(vec![
            finding(1.0, Some(Action::Tempfail)),
            finding(2.5, Some(Action::Reject)),
            finding(-0.5, None),
        ]);
        assert_eq!(v.action, Action::Reject);
        assert_eq!(v.score, 3.0);
    }
}
