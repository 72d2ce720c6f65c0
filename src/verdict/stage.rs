//! Decisions before the end of DATA. A stage's checks report findings; this looks each one
//! up in the policy table (`crate::config::stages`) and decides: refuse (the reply comes from
//! `super::reply`, never from the check) or continue, carrying the findings to the stages
//! that decide them later (a DNSWL listing lowers the message's score at the end of DATA).

use super::Action;
use crate::checks::{Finding, Refusal};
use crate::config::stages::{PolicyTable, Stage};

/// What a stage's decision says.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Go on; the findings, scored by the table, for the stages that decide them.
    Continue(Vec<Finding>),
    /// Answer this instead (its finding ids are counted and logged by the caller's session).
    Refuse(Refusal),
}

/// Decides `stage` on the findings `check` just reported: the strongest of the actions the
/// findings of this stage force and of the stage's score threshold. Only `tempfail` and
/// `reject` refuse before the end of DATA; weaker actions need a message to act on.
pub fn decide(stage: Stage, check: &str, findings: Vec<Finding>, table: &PolicyTable) -> Decision {
    let findings: Vec<Finding> = findings.into_iter().map(|f| scored(table, f)).collect();
    let here: Vec<&Finding> = findings
        .iter()
        .filter(|f| table.stage_of(&f.id) == stage)
        .collect();
    let score: f64 = here.iter().map(|f| f.score).sum();
    let by_score = table
        .refuse_at(stage)
        .filter(|t| score >= *t)
        .map(|_| Action::Reject);
    let forced = here.iter().filter_map(|f| f.force).max();
    match forced.max(by_score) {
        Some(action @ (Action::Tempfail | Action::Reject)) => {
            let reply = super::reply::refusal(stage, action, &here);
            let strike = super::reply::is_strike(stage, action);
            Decision::Refuse(Refusal::of(check, &findings, reply).striking(strike))
        }
        _ => Decision::Continue(findings),
    }
}

/// A finding with the score and forced action the table gives its id (a finding the table
/// does not name keeps what its check gave it).
pub fn scored(table: &PolicyTable, mut finding: Finding) -> Finding {
    if let Some(entry) = table.get(&finding.id) {
        finding.score = entry.score;
        finding.force = entry.force;
    }
    finding
}

/// A finding as `stage` weighs it: the table's score always; the table's forced action only
/// if the finding is decided at `stage` — one decided at an earlier stage acted there (a
/// refusal) or chose not to, and is carried for its score alone. The runtime's table names
/// the rules and classifier bands too (`super::table`); an id it does not name
/// (`CHECK_FAILED`) keeps what its check gave it.
pub fn weighed_at(stage: Stage, table: &PolicyTable, finding: Finding) -> Finding {
    weighed_for(stage, table, "", finding)
}

/// As `weighed_at`, for a finding `check` reported (its own entry first: `get_for`).
pub fn weighed_for(
    stage: Stage,
    table: &PolicyTable,
    check: &str,
    mut finding: Finding,
) -> Finding {
    if let Some(entry) = table.get_for(check, &finding.id) {
        finding.score = entry.score;
        finding.force = entry.force.filter(|_| entry.stage == stage);
    }
    finding
}

#[cfg(test)]
mod tests;
