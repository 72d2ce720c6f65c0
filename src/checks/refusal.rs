//! Refusals decided before the end of DATA — a denied client, a rate limit, a DNSBL listing
//! over the threshold, a greylisted triplet, an early talker — carry the finding ids that
//! caused them, like the verdict's findings do. Making one counts each id once in
//! `moat_check_results_total{check, result}` (one event, one metric); the connection keeps the
//! ids for its session log line, so `findings=` there says why a client was turned away.

use super::Finding;
use crate::smtp::Reply;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The finding ids behind the refusal: stable, upper-case, from a closed set (configured
    /// zone and rule ids included), so they are safe as metric label values.
    pub findings: Vec<String>,
    /// What the client is told (Moat appends the reference id to every refusal).
    pub reply: Reply,
}

impl Refusal {
    /// A refusal by `check` for one finding `id`.
    pub fn new(check: &str, id: &str, reply: Reply) -> Refusal {
        Refusal::counted(check, vec![id.to_string()], reply)
    }

    /// A refusal by `check` because of `findings` (e.g. the DNSBL zones that listed a client).
    pub fn of(check: &str, findings: &[Finding], reply: Reply) -> Refusal {
        let ids = findings.iter().map(|f| f.id.clone()).collect();
        Refusal::counted(check, ids, reply)
    }

    /// Refusals the session core decided itself (deny-listed HELO and recipients, relaying
    /// denied), as (check, id), counted when the connection collects them.
    pub fn from_session(refusals: &[(&'static str, &'static str)]) -> Vec<String> {
        for (check, id) in refusals {
            crate::metrics::check_result(check, id);
        }
        refusals.iter().map(|(_, id)| id.to_string()).collect()
    }

    fn counted(check: &str, findings: Vec<String>, reply: Reply) -> Refusal {
        for id in &findings {
            crate::metrics::check_result(check, id);
        }
        Refusal { findings, reply }
    }
}
