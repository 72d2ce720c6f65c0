//! The runtime: everything the sessions of one configuration share — the validated
//! configuration, the session core's settings, the backend, the checks, the resolver and the
//! shared state. `crate::runtime::prepare` builds it (for `serve`, every reload and `check-config`);
//! the server swaps it whole at a reload, and each session keeps the one it started with.
//! Modules below the server take what they need from it and never reach the server itself.

use crate::checks::Checks;
use crate::config::Config;
use crate::relay::Relay;
use crate::smtp::session::SessionConfig;
use std::sync::Arc;

/// Everything sessions share for one configuration.
pub struct Runtime {
    pub config: Arc<Config>,
    pub session: Arc<SessionConfig>,
    pub relay: Relay,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub checks: Checks,
    /// The one policy table: every finding's stage, score and forced action — the
    /// configuration's sections, the loaded rules' `score:`/`force:`, `rules.scores` last
    /// (`crate::verdict::table`). The verdict reads it at every stage.
    pub table: Arc<crate::verdict::table::Scoring>,
    /// Sender authentication (SPF, DKIM, ARC, DMARC, iprev); `None` when disabled.
    pub auth: Option<Arc<crate::auth::Authenticator>>,
    /// DNS lists (DNSBL at connect, RHSBL/URIBL as a check); `None` when none configured.
    pub reputation: Option<Arc<crate::reputation::Reputation>>,
    /// Greylisting and rate-limit state; carried over a reload that keeps `state` unchanged.
    pub state: crate::store::state::Store,
    /// The one DNS resolver (and cache) of auth and reputation, when either is enabled; kept
    /// over a reload that leaves `dns:` unchanged.
    pub resolver: Option<crate::dns::Resolver>,
}

impl Runtime {
    /// Everything sessions need for `config` (see `crate::runtime::prepare`, which also builds it).
    pub fn new(config: Config) -> Result<Runtime, crate::config::ConfigErrors> {
        Runtime::build(config, None)
    }
}

impl Runtime {
    /// A reload keeps the running store (its counters and greylist entries, its Redis
    /// connection) when the `state` section did not change; otherwise the new one starts empty.
    pub fn carry_state_over(&mut self, old: &Runtime) {
        if self.config.state == old.config.state {
            self.state = old.state.clone();
        }
    }

    /// The rate limits' narrow handle: settings, shared counters, exempt clients.
    pub fn limiter(&self) -> crate::checks::ratelimit::Limiter<'_> {
        crate::checks::ratelimit::Limiter {
            config: &self.config.ratelimit,
            store: &self.state,
            allow: &self.config.policy.allow,
        }
    }

    /// Greylisting's narrow handle: settings, shared state, exempt senders and clients.
    pub fn greylist(&self) -> crate::checks::greylist::Greylist<'_> {
        crate::checks::greylist::Greylist {
            config: &self.config.greylist,
            store: &self.state,
            allow: &self.config.policy.allow,
        }
    }
}

pub mod prepare;
#[cfg(test)]
mod tests;
