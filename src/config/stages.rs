//! The one policy table: for every finding id, the stage whose decision it takes part in,
//! its score and the action it forces, plus each stage's refusal threshold. Checks only
//! report finding ids with a reason; `crate::verdict` reads this table at every stage.
//!
//! The YAML keeps its shape: the table is assembled from the sections that configure each
//! kind of finding (`auth.policy`, `reputation`, `ratelimit`, `greylist`, `lists`), so a file
//! written for an older Moat means what it meant. Rule and classifier findings carry their
//! own scores (rule files, `rules.scores`) and are decided at the end of DATA.

use super::Config;
use super::action::Action;
use super::reputation::PregreetAction;
use std::collections::HashMap;

/// Where in a session a decision is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Stage {
    /// Before the greeting: allow/deny clients, connection rate, DNSBL/DNSWL, pre-greet.
    Connect,
    /// HELO/EHLO: the deny-listed names.
    Helo,
    /// MAIL FROM: message rate.
    Mail,
    /// RCPT TO: relaying, deny-listed recipients, recipient rate, greylisting.
    Rcpt,
    /// End of DATA: authentication, lists, rules, classifier, URIBL/RHSBL — the verdict.
    #[default]
    Data,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Connect,
        Stage::Helo,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Data,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Helo => "helo",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
        }
    }
}

/// What one finding id is worth, and where.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Entry {
    /// The stage whose decision the finding takes part in (a finding reported earlier and
    /// decided later is carried to that stage: a DNSWL listing lowers a message's score).
    pub stage: Stage,
    pub score: f64,
    /// Forced whatever the score.
    pub force: Option<Action>,
}

/// Finding id → entry, and the score at which a stage before DATA refuses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyTable {
    entries: HashMap<String, Entry>,
    /// Stage → the total score of its findings at which it refuses (`reputation.threshold`
    /// at connect). The end of DATA uses `actions:` (`Thresholds`) instead.
    refuse_at: HashMap<Stage, f64>,
}

/// Finding ids of the checks before DATA (their refusal texts are in `crate::verdict`).
pub mod ids {
    pub const DENYLIST_CLIENT: &str = "DENYLIST_CLIENT";
    pub const RATELIMIT_CONNECTIONS: &str = "RATELIMIT_CONNECTIONS";
    pub const RATELIMIT_MESSAGES: &str = "RATELIMIT_MESSAGES";
    pub const RATELIMIT_RECIPIENTS: &str = "RATELIMIT_RECIPIENTS";
    pub const GREYLIST: &str = "GREYLIST";
    /// A HELO/EHLO name on `lists.deny.helo`.
    pub const DENYLIST_HELO: &str = "DENYLIST_HELO";
    /// A recipient on `lists.deny.recipients`.
    pub const DENYLIST_RECIPIENT: &str = "DENYLIST_RECIPIENT";
    /// A recipient outside `domains`, or a routing trick (`%`, `!`, source routes, quoted `@`).
    pub const RELAY_DENIED: &str = "RELAY_DENIED";
    /// The backend refused a recipient for good (usually an unknown user); its reply is the
    /// client's, so the table only records the stage.
    pub const RCPT_REFUSED: &str = "RCPT_REFUSED";
    pub const PREGREET: &str = "PREGREET";
    pub const PIPELINING_UNADVERTISED: &str = "PIPELINING_UNADVERTISED";
}

impl PolicyTable {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The stage a finding is decided at (the end of DATA for ids the table does not name).
    pub fn stage_of(&self, id: &str) -> Stage {
        self.get(id).map(|e| e.stage).unwrap_or_default()
    }

    pub fn set(&mut self, id: impl Into<String>, entry: Entry) {
        self.entries.insert(id.into(), entry);
    }

    pub fn refuse_at(&self, stage: Stage) -> Option<f64> {
        self.refuse_at.get(&stage).copied()
    }

    /// Every entry, sorted by stage then id (for docs and `check-config`-style listings).
    pub fn entries(&self) -> Vec<(&str, Entry)> {
        let mut all: Vec<(&str, Entry)> =
            self.entries.iter().map(|(k, e)| (k.as_str(), *e)).collect();
        all.sort_by(|a, b| (a.1.stage, a.0).cmp(&(b.1.stage, b.0)));
        all
    }

    /// The table a validated configuration describes.
    pub fn from_config(config: &Config) -> PolicyTable {
        let mut t = PolicyTable::default();
        let forced = |stage, action| Entry {
            stage,
            score: 0.0,
            force: Some(action),
        };
        let scored = |stage, score| Entry {
            stage,
            score,
            force: None,
        };
        // Connect: a denied client, too many connections, the DNS lists' total.
        t.set(ids::DENYLIST_CLIENT, forced(Stage::Connect, Action::Reject));
        t.set(
            ids::RATELIMIT_CONNECTIONS,
            forced(Stage::Connect, Action::Tempfail),
        );
        let rep = &config.reputation;
        for zone in &rep.dnsbl {
            let kind = if zone.weight > 0.0 { "DNSBL" } else { "DNSWL" };
            let id = format!("{kind}_{}", zone.label());
            t.set(id, scored(Stage::Connect, zone.weight));
        }
        if rep.threshold > 0.0 {
            t.refuse_at.insert(Stage::Connect, rep.threshold);
        }
        let pregreet = match rep.pregreet_action {
            PregreetAction::Reject => forced(Stage::Connect, Action::Reject),
            PregreetAction::Finding => scored(Stage::Data, rep.pregreet_score),
        };
        t.set(ids::PREGREET, pregreet);
        // HELO: a deny-listed name is refused (the client may say HELO again).
        t.set(ids::DENYLIST_HELO, forced(Stage::Helo, Action::Reject));
        // MAIL and RCPT: no open relay and the deny list refuse; rates and greylisting defer
        // (the client retries).
        t.set(ids::RELAY_DENIED, forced(Stage::Rcpt, Action::Reject));
        t.set(ids::DENYLIST_RECIPIENT, forced(Stage::Rcpt, Action::Reject));
        t.set(ids::RCPT_REFUSED, forced(Stage::Rcpt, Action::Reject));
        t.set(
            ids::RATELIMIT_MESSAGES,
            forced(Stage::Mail, Action::Tempfail),
        );
        t.set(
            ids::RATELIMIT_RECIPIENTS,
            forced(Stage::Rcpt, Action::Tempfail),
        );
        t.set(ids::GREYLIST, forced(Stage::Rcpt, Action::Tempfail));
        // End of DATA: protocol behaviour, DNS lists of names, authentication, lists.
        t.set(
            ids::PIPELINING_UNADVERTISED,
            scored(Stage::Data, rep.pipelining_score),
        );
        for zone in &rep.rhsbl {
            t.set(
                format!("RHSBL_{}", zone.label()),
                scored(Stage::Data, zone.weight),
            );
        }
        for zone in &rep.uribl {
            t.set(
                format!("URIBL_{}", zone.label()),
                scored(Stage::Data, zone.weight),
            );
        }
        for (id, rule) in &config.auth.policy {
            let entry = Entry {
                stage: Stage::Data,
                score: rule.score,
                force: rule.force,
            };
            t.set(*id, entry);
        }
        t.set("DENYLIST", forced(Stage::Data, Action::Reject));
        t.set("ALLOWLIST", forced(Stage::Data, Action::Accept));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n";

    #[test]
    fn table_holds_every_stage_and_follows_the_sections() {
        let yaml = format!(
            "{BASE}reputation:\n  dnsbl: [\"bl.test*2\", \"wl.test*-5\"]\n  threshold: 4\n  pregreet_action: reject\n\
             auth:\n  policy:\n    SPF_FAIL: {{action: reject}}\n"
        );
        let c = Config::from_yaml(&yaml, "t.yaml").unwrap();
        let t = &c.table;
        assert_eq!(t.refuse_at(Stage::Connect), Some(4.0));
        assert_eq!(t.get("DNSBL_BL_TEST").unwrap().score, 2.0);
        assert_eq!(t.get("DNSWL_WL_TEST").unwrap().stage, Stage::Connect);
        assert_eq!(t.get("PREGREET").unwrap().force, Some(Action::Reject));
        assert_eq!(t.stage_of("GREYLIST"), Stage::Rcpt);
        assert_eq!(t.stage_of("DENYLIST_HELO"), Stage::Helo);
        assert_eq!(t.get("RELAY_DENIED").unwrap().force, Some(Action::Reject));
        assert_eq!(t.stage_of("RATELIMIT_MESSAGES"), Stage::Mail);
        assert_eq!(t.get("SPF_FAIL").unwrap().force, Some(Action::Reject));
        assert_eq!(t.stage_of("RULE_ANYTHING"), Stage::Data);
        let c = Config::from_yaml(BASE, "t.yaml").unwrap();
        assert_eq!(c.table.get("PREGREET").unwrap().stage, Stage::Data);
        assert_eq!(c.table.get("PREGREET").unwrap().score, 3.0);
        assert_eq!(c.table.refuse_at(Stage::Connect), Some(3.0));
    }
}
