//! Where the allow and deny lists (`lists:`, parsed in `crate::config::lists`) apply:
//!
//! | list | deny | allow |
//! |---|---|---|
//! | `clients` | `554 5.7.1` instead of the greeting | no DNSBL screen at connect; message accepted without checks |
//! | `helo` | `550 5.7.1` to HELO/EHLO (the HELO stage) | message accepted without checks |
//! | `senders`, `domains` | message refused `550 5.7.1` at the end of data | message accepted without checks |
//! | `recipients` | `550 5.7.1` to RCPT (the RCPT stage) | a message whose every recipient is listed is accepted without checks, even from a denied sender or HELO |
//!
//! The allowed recipients exist for `postmaster@` and `abuse@`: a sender refused by the lists
//! or the checks must still be able to reach them to ask why. A client on `deny.clients` is
//! refused before any recipient is known, so it cannot.

use crate::checks::{Finding, MessageContext};
use crate::config::lists::List;
use crate::config::policy::Policy;
use crate::config::stages::ids;
use crate::smtp::address::Mailbox;
use std::net::IpAddr;

/// What the lists say about a client at connect (a fact: the verdict decides what follows).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientScreen {
    /// On `deny.clients`: the `DENYLIST_CLIENT` finding.
    Denied(Finding),
    /// On `allow.clients`: skip the rate limits and the DNSBL screen.
    Trusted,
    Unlisted,
}

pub fn screen_client(policy: &Policy, ip: IpAddr) -> ClientScreen {
    if let Some(why) = policy.deny.client(ip) {
        tracing::info!(target: "moat::refusal", client = %ip, listed = %why, "client on lists.deny");
        let reason = format!("listed in lists.deny: {why}");
        return ClientScreen::Denied(Finding::fact(ids::DENYLIST_CLIENT, reason));
    }
    if policy.allow.client(ip).is_some() {
        return ClientScreen::Trusted;
    }
    ClientScreen::Unlisted
}

/// What `lists.deny.helo` says about a HELO/EHLO name: `DENYLIST_HELO`, or nothing.
pub fn screen_helo(deny: &List, name: &str) -> Option<Finding> {
    let why = deny.helo(name)?;
    Some(Finding::fact(
        ids::DENYLIST_HELO,
        format!("HELO {name} listed in lists.deny: {why}"),
    ))
}

/// What `lists.deny.recipients` says about a recipient: `DENYLIST_RECIPIENT`, or nothing.
pub fn screen_recipient(deny: &List, to: &Mailbox) -> Option<Finding> {
    let why = deny.recipient(&to.key())?;
    let reason = format!("recipient listed in lists.deny: {why}");
    Some(Finding::fact(ids::DENYLIST_RECIPIENT, reason))
}

/// Whether `ip` is on `lists.allow.clients` (exempt from rate limits and greylisting).
pub fn client_allowed(allow: &List, ip: IpAddr) -> bool {
    allow.client(ip).is_some()
}

/// What the lists say about a message at the end of DATA, if anything: `ALLOWLIST` or
/// `DENYLIST`, whose forced actions are the policy table's (accept, reject). `None`: run
/// the checks.
pub fn check(policy: &Policy, message: &MessageContext) -> Option<Finding> {
    let all_allowed = !message.recipients.is_empty()
        && message
            .recipients
            .iter()
            .all(|r| policy.allow.recipient(&r.key()).is_some());
    if all_allowed {
        let why = format!("recipients {}", message.recipients.len());
        return Some(listed("ALLOWLIST", "allow", why));
    }
    let sender = message.from.key();
    let deny = policy.deny.matches(&sender, message.client_ip);
    if let Some(why) = deny.or_else(|| policy.deny.helo(&message.helo)) {
        return Some(listed("DENYLIST", "deny", why));
    }
    let allow = policy.allow.matches(&sender, message.client_ip);
    if let Some(why) = allow.or_else(|| policy.allow.helo(&message.helo)) {
        return Some(listed("ALLOWLIST", "allow", why));
    }
    None
}

fn listed(id: &str, list: &str, why: String) -> Finding {
    Finding::fact(id, format!("listed in lists.{list}: {why}"))
}
