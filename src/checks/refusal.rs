//! Refusals decided before the end of DATA — a denied client or HELO name, a rate limit, a
//! DNSBL listing over the threshold, relaying denied, a deny-listed or greylisted recipient,
//! an early talker — carry the finding ids that caused them, like the verdict's findings do.
//! Making one counts each id once in `moat_check_results_total{check, result}` (one event,
//! one metric); the connection keeps the ids for its session log line, so `findings=` there
//! says why a client was turned away.

use super::Finding;
use crate::smtp::Reply;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The finding ids behind the refusal: stable, upper-case, from a closed set (configured
    /// zone and rule ids included), so they are safe as metric label values.
    pub findings: Vec<String>,
    /// What the client is told (Moat appends the reference id to every refusal).
    pub reply: Reply,
    /// The client asked for what it can never have (a deny-listed HELO name or recipient,
    /// relaying): the session counts it as a bad command, so a relay prober or a dictionary
    /// run is cut off at `limits.max_bad_commands`. Deferrals are not strikes.
    pub strike: bool,
    /// The findings' reasons, for the log line that explains the refusal (never sent).
    pub reason: String,
}

impl Refusal {
    /// A refusal by `check` for one finding `id` whose reply is someone else's (the backend
    /// refusing a recipient: its answer is the client's).
    pub fn new(check: &str, id: &str, reply: Reply) -> Refusal {
        Refusal::counted(check, vec![id.to_string()], reply, String::new())
    }

    /// A refusal by `check` because of `findings` (e.g. the DNSBL zones that listed a client).
    pub fn of(check: &str, findings: &[Finding], reply: Reply) -> Refusal {
        let ids = findings.iter().map(|f| f.id.clone()).collect();
        let reasons: Vec<&str> = findings.iter().map(|f| f.reason.as_str()).collect();
        Refusal::counted(check, ids, reply, reasons.join("; "))
    }

    /// Counts the refusal as a strike against the client (see `strike`).
    pub fn striking(mut self, strike: bool) -> Refusal {
        self.strike = strike;
        self
    }

    fn counted(check: &str, findings: Vec<String>, reply: Reply, reason: String) -> Refusal {
        for id in &findings {
            crate::metrics::check_result(check, id);
        }
        Refusal {
            findings,
            reply,
            strike: false,
            reason,
        }
    }
}
