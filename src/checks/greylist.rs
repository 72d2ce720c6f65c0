//! Greylisting at RCPT: the first attempt of an unknown (client network, sender, recipient)
//! triplet gets `451 4.7.1`; a retry after `delay` and within `retry_window` passes, and the
//! triplet then stays passed for `expiry` (renewed by each use). Real MTAs retry; most bots
//! fire once. Allow-listed clients and senders, DNSWL-listed clients and (with `auth`) SPF-
//! pass senders are never greylisted.
//!
//! The state store keeps, per triplet, `f<unix seconds of first sight>` or `p` (passed), with
//! a TTL, so several instances sharing Redis recognise each other's triplets. A store failure
//! passes by default (`greylist.on_error`): greylisting is a filter, not a gate worth losing
//! mail for.
//!
//! A deferral is the `GREYLIST` finding; the policy table makes it a `tempfail` and the
//! verdict picks the reply.

use crate::checks::Finding;
use crate::config::greylist::GreylistConfig;
use crate::config::lists::List;
use crate::config::ratelimit::OnError;
use crate::config::stages::ids;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::store::state::{StateError, Store};
use std::net::IpAddr;

/// What greylisting decided for one recipient; `as_str` is the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// First sight (or first since the retry window ran out): deferred.
    First,
    /// Retried before `delay`: deferred again.
    Early,
    /// Retried in time: passes, and the triplet is remembered as passed.
    Passed,
    /// Already passed earlier.
    Known,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::First => "first",
            Decision::Early => "early",
            Decision::Passed => "passed",
            Decision::Known => "known",
        }
    }

    pub fn defers(self) -> bool {
        matches!(self, Decision::First | Decision::Early)
    }
}

/// The triplet's key: lowercased addresses, the client's network.
pub fn key(cfg: &GreylistConfig, ip: IpAddr, from: &str, to: &str) -> String {
    let net = crate::checks::ratelimit::network(ip, cfg.prefixes);
    let (from, to) = (from.to_ascii_lowercase(), to.to_ascii_lowercase());
    format!("grey:{net}|{from}|{to}")
}

/// Looks the triplet up, records what changes, and decides. `now` is Unix seconds.
pub async fn decide(
    store: &Store,
    cfg: &GreylistConfig,
    key: &str,
    now: u64,
) -> Result<Decision, StateError> {
    let seen = store.get(key).await?;
    let first_seen = seen.as_deref().and_then(|v| {
        let text = std::str::from_utf8(v.strip_prefix(b"f")?).ok()?;
        text.parse::<u64>().ok()
    });
    let decision = match (seen.as_deref(), first_seen) {
        (Some(b"p"), _) => Decision::Known,
        (_, Some(t)) if now < t + cfg.delay.as_secs() => Decision::Early,
        (_, Some(_)) => Decision::Passed,
        // Absent, expired, or unreadable: start over.
        _ => Decision::First,
    };
    match decision {
        Decision::First => {
            let value = format!("f{now}");
            store.set(key, value.as_bytes(), cfg.retry_window).await?;
        }
        Decision::Passed | Decision::Known => store.set(key, b"p", cfg.expiry).await?,
        Decision::Early => {}
    }
    Ok(decision)
}

/// What greylisting needs of a runtime: its settings, the shared state and the allow list.
#[derive(Clone, Copy)]
pub struct Greylist<'a> {
    pub config: &'a GreylistConfig,
    pub store: &'a Store,
    pub allow: &'a List,
}

/// Why a client or sender skips greylisting, if it does (the SPF exemption is separate:
/// it needs to wait for a lookup).
fn exemption(allow: &List, ip: IpAddr, from: &str, findings: &[Finding]) -> Option<&'static str> {
    if allow.matches(from, ip).is_some() {
        return Some("allow_list");
    }
    if findings.iter().any(|f| f.id.starts_with("DNSWL_")) {
        return Some("dnswl");
    }
    None
}

/// Whether SPF passed for the sender, waiting for the lookup started at MAIL FROM at most
/// `spf_wait`. The finished result is put back for the end-of-DATA authentication.
async fn spf_passed(cfg: &GreylistConfig, auth: &mut Option<crate::auth::EnvelopeTask>) -> bool {
    let Some(task) = auth.as_mut().filter(|_| cfg.spf_pass) else {
        return false;
    };
    match tokio::time::timeout(cfg.spf_wait, &mut *task).await {
        Ok(Some(envelope)) => {
            let passed = envelope.spf_passed();
            *auth = Some(crate::auth::EnvelopeTask::done(envelope));
            passed
        }
        Ok(None) => {
            *auth = None;
            false
        }
        Err(_) => false,
    }
}

/// At RCPT, before the backend is asked: the `GREYLIST` finding when the triplet is deferred.
/// SPF is awaited only for a triplet that would be deferred, so known triplets pass without
/// waiting for DNS. `findings` are the connection's (a DNSWL listing exempts).
pub async fn check(
    grey: Greylist<'_>,
    ip: IpAddr,
    from: Option<&ReversePath>,
    to: &Mailbox,
    findings: &[Finding],
    auth: &mut Option<crate::auth::EnvelopeTask>,
) -> Option<Finding> {
    let cfg = grey.config;
    if !cfg.enabled {
        return None;
    }
    let from = from.map(ReversePath::key).unwrap_or_default();
    if let Some(why) = exemption(grey.allow, ip, &from, findings) {
        tracing::debug!(target: "moat::greylist", client = %ip, why, "not greylisted");
        crate::store::state::metrics::greylist("exempt");
        return None;
    }
    let key = key(cfg, ip, &from, &to.key());
    let now = crate::clock::unix_now().as_secs();
    let result = match decide(grey.store, cfg, &key, now).await {
        Ok(d) if d.defers() && spf_passed(cfg, auth).await => "exempt",
        Ok(d) => d.as_str(),
        Err(e) => {
            crate::store::state::metrics::failed("greylist", &e);
            "error"
        }
    };
    crate::store::state::metrics::greylist(result);
    tracing::info!(target: "moat::greylist", client = %ip, result, "greylist");
    let defer = match result {
        "first" | "early" => true,
        "error" => cfg.on_error == OnError::Defer,
        _ => false,
    };
    defer.then(|| Finding::fact(ids::GREYLIST, format!("triplet {result}")))
}

#[cfg(test)]
mod tests;
