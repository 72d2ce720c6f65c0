//! Moat's SPF evaluator (RFC 7208), checked case by case against the OpenSPF RFC 7208 test
//! suite (tests/conformance_spf.rs).
//!
//! The record is parsed whole against the RFC's ABNF before anything is evaluated
//! (`record`), macros are parsed with it and expanded per query (`macros`), and `eval` runs
//! `check_host()` with the limits that bound what a hostile record can make Moat ask: 10
//! DNS-querying terms, 2 void lookups, 10 MX or PTR names. DNS is a trait (`lookup`), so the
//! same evaluator runs over Moat's resolver and over a zone in memory.
//!
//! Why Moat has its own evaluator rather than mail-auth's: docs/decisions.md.

mod eval;
pub mod lookup;
pub mod macros;
pub mod record;

#[cfg(test)]
mod tests;

use super::results::Res;
pub use lookup::{DnsFail, Lookup};
use std::net::IpAddr;

/// A check's result before errors are folded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
}

/// What one SPF check is about.
#[derive(Debug, Clone)]
pub struct Query {
    /// The client; an IPv4-mapped IPv6 address is checked as the IPv4 address.
    pub ip: IpAddr,
    /// The sender's local part (`postmaster` when the reverse-path has none).
    pub local: String,
    /// The domain checked: the MAIL FROM domain, or the HELO name.
    pub sender_domain: String,
    pub helo: String,
    /// Moat's host name, for `%{r}`.
    pub receiver: String,
    /// Whether to fetch the `exp=` explanation of a `fail`. Moat's replies are generic, so
    /// the server does not ask; a failing explanation lookup could otherwise only cost time.
    pub explain: bool,
}

impl Query {
    /// The MAIL FROM identity `local@domain` (or a bare domain, checked as
    /// `postmaster@domain`, RFC 7208 4.3).
    pub fn new(ip: IpAddr, sender: &str, helo: &str, receiver: &str) -> Query {
        let (local, domain) = match sender.rsplit_once('@') {
            Some((local, domain)) => (unquote(local), domain),
            None => (String::new(), sender),
        };
        Query {
            ip: ip.to_canonical(),
            local: if local.is_empty() {
                "postmaster".into()
            } else {
                local
            },
            sender_domain: domain.to_string(),
            helo: helo.to_string(),
            receiver: receiver.to_string(),
            explain: false,
        }
    }
}

/// A quoted local part (`"a b"`, `""`) as the string it stands for; others as they are.
fn unquote(local: &str) -> String {
    let Some(inner) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else {
        return local.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.extend(if c == '\\' { chars.next() } else { Some(c) });
    }
    out
}

/// A finished check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: Res,
    /// The expanded `exp=` text of a `fail`, when asked for and found.
    pub explanation: Option<String>,
}

/// `check_host()` for the query's sender domain.
pub async fn check_host(dns: &impl Lookup, query: &Query) -> Outcome {
    // A domain that cannot be a host name has no SPF record (4.3): an address literal,
    // a single label, an empty or over-long label.
    let domain = &query.sender_domain;
    let plausible = domain.contains('.') && !domain.starts_with('[');
    let Some(domain) = eval::valid_name(domain).filter(|_| plausible) else {
        return Outcome {
            result: Res::None,
            explanation: None,
        };
    };
    let mut eval = eval::Eval::new(dns, query);
    let (result, explanation) = match eval.check_host(domain, query.explain).await {
        Ok((verdict, explanation)) => (res(verdict), explanation),
        Err(eval::Stop::Temp) => (Res::TempError, None),
        Err(eval::Stop::Perm) => (Res::PermError, None),
    };
    Outcome {
        result,
        explanation,
    }
}

fn res(verdict: Verdict) -> Res {
    match verdict {
        Verdict::Pass => Res::Pass,
        Verdict::Fail => Res::Fail,
        Verdict::SoftFail => Res::SoftFail,
        Verdict::Neutral => Res::Neutral,
        Verdict::None => Res::None,
    }
}

/// The MAIL FROM result in mail-auth's form, which its DMARC alignment takes (the SPF-aligned
/// domain is the one checked).
pub fn for_dmarc(domain: &str, result: Res) -> mail_auth::SpfOutput {
    use mail_auth::SpfResult;
    let result = match result {
        Res::Pass => SpfResult::Pass,
        Res::Fail => SpfResult::Fail,
        Res::SoftFail => SpfResult::SoftFail,
        Res::Neutral => SpfResult::Neutral,
        Res::None | Res::Policy => SpfResult::None,
        Res::PermError => SpfResult::PermError,
        Res::TempError => SpfResult::TempError,
    };
    mail_auth::SpfOutput::new(domain.to_string()).with_result(result)
}
