//! The end-of-DATA half of reputation: RHSBL on the HELO and MAIL FROM domains and URIBL on
//! the registrable domains of the message's links, as one `Check`.

use super::Reputation;
use super::psl::SuffixList;
use crate::checks::{Check, CheckFuture, Finding, MessageContext};
use crate::rules::facts::Facts;
use std::sync::Arc;

pub struct DomainCheck {
    pub reputation: Arc<Reputation>,
}

impl Check for DomainCheck {
    fn name(&self) -> &'static str {
        "reputation"
    }

    fn check<'a>(&'a self, message: &'a MessageContext) -> CheckFuture<'a> {
        Box::pin(async move {
            let config = self.reputation.config();
            let suffixes = self.reputation.suffixes().clone();
            let rhs = sender_domains(message, &suffixes);
            let links = if config.uribl.is_empty() {
                Vec::new()
            } else {
                // The rules check decodes the same message: share its parse (CPU work, so
                // off the session threads).
                let (load, max) = (message.facts_loader(), config.max_uri_lookups);
                tokio::task::spawn_blocking(move || link_domains(&load(), max, &suffixes))
                    .await
                    .unwrap_or_default()
            };
            let (mut a, b): (Vec<Finding>, Vec<Finding>) = tokio::join!(
                self.reputation.domains("RHSBL", &config.rhsbl, &rhs),
                self.reputation.domains("URIBL", &config.uribl, &links),
            );
            a.extend(b);
            a
        })
    }
}

/// The HELO name (when it is a domain) and the MAIL FROM domain, each as written and as its
/// registrable domain (lists name either), deduplicated.
fn sender_domains(m: &MessageContext, suffixes: &SuffixList) -> Vec<String> {
    let mut names = vec![m.helo.trim_end_matches('.').to_ascii_lowercase()];
    if let crate::smtp::address::ReversePath::Mailbox(mb) = &m.from {
        names.push(mb.domain.trim_end_matches('.').to_ascii_lowercase());
    }
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !(name.contains('.') && crate::config::auth::is_domain(&name)) {
            continue;
        }
        let registrable = suffixes.registrable(&name);
        for d in std::iter::once(name).chain(registrable) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// Registrable domains of the links, in order of first appearance, deduplicated, at most
/// `max` (a message with thousands of links must not become thousands of lookups).
pub fn link_domains(facts: &Facts, max: usize, suffixes: &SuffixList) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for uri in &facts.uri {
        let Some(domain) = crate::rules::uri::host(uri).and_then(|h| suffixes.registrable(&h))
        else {
            continue;
        };
        if !out.contains(&domain) {
            out.push(domain);
            if out.len() >= max {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
