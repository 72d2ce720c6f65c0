//! Rate limits per client address and per client network: connections (refused at connect
//! with `421 4.7.0`), messages (MAIL FROM → `451 4.7.1`) and recipients (RCPT TO →
//! `451 4.7.1`) per `ratelimit.window`, counted in the shared state store so that every
//! Moat instance behind a balancer counts together.
//!
//! Refused attempts count too: a client that keeps hammering stays refused. Clients on
//! `lists.allow.clients` are exempt. When the store fails, `ratelimit.on_error` decides
//! (pass by default): a Redis outage must not stop mail.
//!
//! A limit exceeded is a finding (`RATELIMIT_<KIND>`); the policy table says what it does
//! (defer, by default) and the verdict picks the reply.

use crate::checks::Finding;
use crate::config::lists::List;
use crate::config::ratelimit::{OnError, Prefixes, RateLimitConfig};
use crate::config::stages::ids;
use crate::store::state::Store;
use std::net::IpAddr;

/// What the rate limits need of a runtime: their settings, the shared counters and the
/// clients exempt from them. Borrowed for one check.
#[derive(Clone, Copy)]
pub struct Limiter<'a> {
    pub config: &'a RateLimitConfig,
    pub store: &'a Store,
    pub allow: &'a List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connections,
    Messages,
    Recipients,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Connections => "connections",
            Kind::Messages => "messages",
            Kind::Recipients => "recipients",
        }
    }

    /// The finding id of this kind's limit.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Connections => ids::RATELIMIT_CONNECTIONS,
            Kind::Messages => ids::RATELIMIT_MESSAGES,
            Kind::Recipients => ids::RATELIMIT_RECIPIENTS,
        }
    }

    fn finding(self, why: String) -> Finding {
        Finding::fact(self.id(), why)
    }
}

/// The client's network as `address/prefix` with the host bits cleared, e.g. `192.0.2.0/24`.
pub fn network(ip: IpAddr, prefixes: Prefixes) -> String {
    let ip = ip.to_canonical();
    let prefix = match ip {
        IpAddr::V4(_) => prefixes.v4,
        IpAddr::V6(_) => prefixes.v6,
    };
    format!("{}/{prefix}", network_address(ip, prefixes))
}

/// The first address of the client's network (the host bits cleared). An IPv4-mapped IPv6
/// address (a dual-stack listener's IPv4 client) is an IPv4 client: its network is its /24,
/// not the /64 that holds every IPv4 address.
pub fn network_address(ip: IpAddr, prefixes: Prefixes) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefixes.v4))
                .unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefixes.v6))
                .unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// Counts one `kind` event for `ip` and reports the finding when a limit is exceeded (or the
/// store failed and `ratelimit.on_error` is `defer`).
pub async fn check(limits: Limiter<'_>, ip: IpAddr, kind: Kind) -> Option<Finding> {
    let cfg = limits.config;
    let limit = |c: &crate::config::ratelimit::Counts| match kind {
        Kind::Connections => c.connections,
        Kind::Messages => c.messages,
        Kind::Recipients => c.recipients,
    };
    let (per_client, per_network) = (limit(&cfg.client), limit(&cfg.network));
    if per_client == 0 && per_network == 0 || crate::checks::lists::client_allowed(limits.allow, ip)
    {
        return None;
    }
    let k = kind.as_str();
    let client_key = format!("rl:{k}:ip:{ip}");
    let network_key = format!("rl:{k}:net:{}", network(ip, cfg.prefixes));
    let count = |key: String, limit: u64| async move {
        if limit == 0 {
            return Ok(0.0);
        }
        limits.store.hit(&key, cfg.window).await
    };
    let (client, net) = tokio::join!(
        count(client_key, per_client),
        count(network_key, per_network)
    );
    for (scope, counted, limit) in [
        ("client", client, per_client),
        ("network", net, per_network),
    ] {
        match counted {
            Ok(n) if limit > 0 && n > limit as f64 => {
                tracing::info!(target: "moat::ratelimit", client = %ip, kind = k, scope, count = n, limit, "rate limit exceeded");
                crate::store::state::metrics::refused(k, scope);
                return Some(kind.finding(format!("{k} per {scope}: {n} > {limit}")));
            }
            Ok(_) => {}
            Err(e) => {
                crate::store::state::metrics::failed("ratelimit", &e);
                if cfg.on_error == OnError::Defer {
                    return Some(kind.finding(format!("state store failed: {e}")));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
