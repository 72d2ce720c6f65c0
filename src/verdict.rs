//! Findings → one action. The only place where Moat decides what happens to a message:
//! the total score meets the configured thresholds (`actions:`), and a hard finding can force
//! an action whatever the score. The strongest of the two wins.

use crate::checks::Finding;

/// What happens to a message, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Accept,
    /// Relay with `X-Spam-Flag: YES` (the backend's Sieve files it as Junk).
    AddHeader,
    /// Relay with `X-Spam-Flag: YES` and a tag in front of the subject.
    RewriteSubject,
    /// Keep in the local quarantine store; `250` to the client.
    Quarantine,
    Tempfail,
    Reject,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Accept,
        Action::AddHeader,
        Action::RewriteSubject,
        Action::Quarantine,
        Action::Tempfail,
        Action::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::AddHeader => "add_header",
            Action::RewriteSubject => "rewrite_subject",
            Action::Quarantine => "quarantine",
            Action::Tempfail => "tempfail",
            Action::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the message is marked as spam in its headers.
    pub fn is_spam(self) -> bool {
        self >= Action::AddHeader
    }
}

/// Score thresholds (`actions:` in the config): a message whose score is at least the
/// threshold of an action gets that action, the strongest one that applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub add_header: Option<f64>,
    pub rewrite_subject: Option<f64>,
    pub quarantine: Option<f64>,
    pub tempfail: Option<f64>,
    pub reject: Option<f64>,
    /// Put in front of the subject by `rewrite_subject`.
    pub subject_tag: String,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            add_header: Some(4.0),
            rewrite_subject: None,
            quarantine: Some(10.0),
            tempfail: None,
            reject: Some(15.0),
            subject_tag: "[SPAM]".into(),
        }
    }
}

impl Thresholds {
    /// The action the score alone earns.
    pub fn action_for(&self, score: f64) -> Action {
        let pairs = [
            (Action::Reject, self.reject),
            (Action::Tempfail, self.tempfail),
            (Action::Quarantine, self.quarantine),
            (Action::RewriteSubject, self.rewrite_subject),
            (Action::AddHeader, self.add_header),
        ];
        pairs
            .into_iter()
            .find(|(_, t)| t.is_some_and(|t| score >= t))
            .map(|(a, _)| a)
            .unwrap_or(Action::Accept)
    }

    /// The score from which a message counts as spam (`required=` in `X-Spam-Status`).
    pub fn required(&self) -> f64 {
        [
            self.add_header,
            self.rewrite_subject,
            self.quarantine,
            self.tempfail,
            self.reject,
        ]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min)
    }
}

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
