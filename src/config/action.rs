//! What can happen to a message (`Action`) and the score thresholds that pick one
//! (`actions:`). Plain data: the policy table (`stages`) and the verdict (`crate::verdict`)
//! both use them.

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
