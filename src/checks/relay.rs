//! No open relay (docs/DESIGN "Guarantees" 2): a recipient is one of Moat's only when its
//! domain is in `domains` and its address hides no second destination (`%` and `!` hacks,
//! source routes, a quoted `@`) that a sloppy backend could forward to. Run at RCPT, before
//! the backend is asked; the policy table makes `RELAY_DENIED` a refusal.

use crate::checks::Finding;
use crate::config::Domains;
use crate::config::stages::ids;
use crate::smtp::address::Mailbox;

/// `RELAY_DENIED` for a recipient Moat must not accept, else nothing.
pub fn check(domains: &Domains, to: &Mailbox) -> Option<Finding> {
    let why = if to.is_routing_trick() {
        "routing trick"
    } else if !domains.contains(&to.domain) {
        "domain not in domains"
    } else {
        return None;
    };
    let reason = format!("{why}: {}", to.address());
    Some(Finding::fact(ids::RELAY_DENIED, reason))
}

#[cfg(test)]
mod tests;
