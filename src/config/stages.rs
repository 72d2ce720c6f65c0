//! The one policy table: for every finding id, the stage whose decision it takes part in,
//! its score and the action it forces, plus each stage's refusal threshold. Checks only
//! report finding ids with a reason; `crate::verdict` reads this table at every stage.
//!
//! The YAML keeps its shape: the table is assembled from the sections that configure each
//! kind of finding, so a file written for an older Moat means what it meant: `auth.policy`,
//! `reputation`, `ratelimit`, `greylist`, `lists`, the classifier's bands (`bayes.scores`),
//! `malware`, and last the fitted score file (`rules.scores`). The rule files are read when the runtime is built:
//! `crate::verdict::table` adds each rule's `score:`/`force:` to this table there.

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

/// The malware check's name: its entries are `malware/ID` (`PolicyTable::get_for`).
pub const MALWARE: &str = "malware";

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
    /// A DNSBL/DNSWL zone did not answer in time (or failed) at connect; its listing is
    /// unknown. Score 0: a DNS outage must not bounce mail, but the score lacks what the zone
    /// would have said (autolearn learns nothing from such a verdict).
    pub const DNSBL_TEMPERROR: &str = "DNSBL_TEMPERROR";
    /// An RHSBL zone did not answer in time (or failed) at the end of DATA.
    pub const RHSBL_TEMPERROR: &str = "RHSBL_TEMPERROR";
    /// A URIBL zone did not answer in time (or failed) at the end of DATA.
    pub const URIBL_TEMPERROR: &str = "URIBL_TEMPERROR";
    /// clamd found a virus (`malware.on_virus`).
    pub const AV_VIRUS: &str = "AV_VIRUS";
    /// clamd could not answer (`malware.on_error`).
    pub const AV_SCAN_FAILED: &str = "AV_SCAN_FAILED";
}

impl PolicyTable {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The entry for `id` as reported by `check`: its own (`check/ID`, for an id two checks
    /// share with different meanings, e.g. the malware check's `ATTACH_EXECUTABLE` and the
    /// default pack's rule of that name) or else the id's.
    pub fn get_for(&self, check: &str, id: &str) -> Option<&Entry> {
        self.entries
            .get(&format!("{check}/{id}"))
            .or_else(|| self.entries.get(id))
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

    /// The table a validated configuration describes, `rules.scores` applied last.
    pub fn from_config(config: &Config) -> PolicyTable {
        let mut t = PolicyTable::of_sections(config);
        t.overlay_scores(&config.policy.scores);
        t
    }

    /// The entries the configuration's sections give, before the score file.
    pub fn of_sections(config: &Config) -> PolicyTable {
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
        t.set(ids::DNSBL_TEMPERROR, scored(Stage::Connect, 0.0));
        t.set(ids::RHSBL_TEMPERROR, scored(Stage::Data, 0.0));
        t.set(ids::URIBL_TEMPERROR, scored(Stage::Data, 0.0));
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
        // The classifier's bands (`bayes.scores`) and the malware findings (`malware`).
        for band in config.bayes.all_bands() {
            t.set(band.id, scored(Stage::Data, band.score));
        }
        if config.malware.enabled {
            t.add_malware(&config.malware);
        }
        t
    }

    /// `malware.types`, `on_virus` and `on_error`: each kind's score or forced action.
    fn add_malware(&mut self, m: &super::malware::MalwareConfig) {
        use super::malware::{OnError, Response};
        let entry = |response: Response| match response {
            Response::Force(action) => Entry {
                stage: Stage::Data,
                score: 0.0,
                force: Some(action),
            },
            Response::Score(score) => Entry {
                stage: Stage::Data,
                score,
                force: None,
            },
        };
        // Scoped to the check: the rule packs may name a rule like a kind (`get_for`).
        let id = |id: &str| format!("{MALWARE}/{id}");
        for (kind, response) in &m.responses {
            self.set(id(kind.id()), entry(*response));
        }
        self.set(id(ids::AV_VIRUS), entry(Response::Force(m.on_virus)));
        let on_error = match m.on_error {
            OnError::Tempfail => Response::Force(Action::Tempfail),
            OnError::Quarantine => Response::Force(Action::Quarantine),
            OnError::Accept => Response::Score(0.0),
        };
        self.set(id(ids::AV_SCAN_FAILED), entry(on_error));
    }

    /// Replaces the score of every id `scores` names (stage and forced action kept); an id
    /// the table does not name yet is scored at the end of DATA.
    pub fn overlay_scores(&mut self, scores: &super::scores::ScoreTable) {
        for (id, score) in scores.iter() {
            let entry = self.entries.entry(id.to_string()).or_default();
            entry.score = score;
        }
        // A check's own entry of a named id too: the file scores the id, whoever reports it.
        for (key, entry) in self.entries.iter_mut() {
            if let Some((_, id)) = key.split_once('/')
                && let Some(score) = scores.get(id)
            {
                entry.score = score;
            }
        }
    }
}

#[cfg(test)]
mod tests;
