//! What a client is told when Moat refuses: chosen by the verdict from the stage, the action
//! and the finding that decided, never by a check. Texts are generic (the reference id is
//! appended by the session; the reason goes to the log).

use super::Action;
use crate::checks::Finding;
use crate::config::stages::{Stage, ids};
use crate::smtp::Reply;

/// The reply for refusing `stage` with `action` because of `findings` (those of the stage).
pub fn refusal(stage: Stage, action: Action, findings: &[&Finding]) -> Reply {
    match (lead(action, findings), stage) {
        (ids::DENYLIST_CLIENT, _) => Reply::status(554, 7, 1, "Service unavailable; access denied"),
        (ids::PREGREET, _) => {
            Reply::status(554, 5, 1, "Protocol error: talked before the greeting")
        }
        (ids::RATELIMIT_CONNECTIONS, _) => {
            Reply::status(421, 7, 0, "Too many connections, try again later")
        }
        (ids::RATELIMIT_MESSAGES | ids::RATELIMIT_RECIPIENTS, _) => {
            Reply::status(451, 7, 1, "Rate limit exceeded, try again later")
        }
        (ids::GREYLIST, _) => Reply::status(451, 7, 1, "Greylisted, try again later"),
        (ids::DENYLIST_HELO, _) => Reply::status(550, 7, 1, "HELO name refused"),
        (ids::RELAY_DENIED, _) => Reply::status(550, 7, 1, "Relaying denied"),
        (ids::DENYLIST_RECIPIENT, _) => Reply::status(550, 7, 1, "Recipient refused"),
        (id, Stage::Connect) if id.starts_with("DNSBL_") => {
            Reply::status(554, 7, 1, "Service unavailable; client address listed")
        }
        // Any other finding a site configures to refuse early.
        (_, Stage::Connect) => match action {
            Action::Tempfail => Reply::status(421, 7, 0, "Service temporarily unavailable"),
            _ => Reply::status(554, 7, 1, "Service unavailable"),
        },
        (_, _) => match action {
            Action::Tempfail => Reply::status(451, 7, 1, "Try again later"),
            _ => Reply::status(550, 7, 1, "Refused by policy"),
        },
    }
}

/// Whether refusing for `findings` counts against the client's `limits.max_bad_commands`:
/// a permanent refusal of what it asked for at HELO or RCPT (a deny-listed name or
/// recipient, relaying) is, as it always was; a deferral, or a refusal at connect or MAIL,
/// is not.
pub fn is_strike(stage: Stage, action: Action) -> bool {
    matches!(stage, Stage::Helo | Stage::Rcpt) && action == Action::Reject
}

/// The reply for a message the end-of-DATA verdict does not deliver (`reject`, `tempfail`).
pub fn message(action: Action) -> Option<Reply> {
    match action {
        Action::Reject => Some(Reply::status(550, 7, 1, "Message refused")),
        Action::Tempfail => Some(Reply::status(
            451,
            7,
            1,
            "Message deferred, try again later",
        )),
        _ => None,
    }
}

/// The finding that speaks for a refusal: the one that forced the action; else the one that
/// weighed most.
fn lead<'a>(action: Action, findings: &[&'a Finding]) -> &'a str {
    findings
        .iter()
        .find(|f| f.force == Some(action))
        .or_else(|| findings.iter().max_by(|a, b| a.score.total_cmp(&b.score)))
        .map(|f| f.id.as_str())
        .unwrap_or("")
}
