//! Moat's own model of one message's authentication results, independent of mail-auth's
//! types so that a timeout can be recorded as a temperror and both outputs — the
//! `Authentication-Results` header (RFC 8601) and the findings — come from one place.

use crate::checks::Finding;
use std::fmt::Write;

/// One method's result, as RFC 8601 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
    /// Signed, but not acceptable (RFC 8601 2.7.1): DKIM with body content after `l=`.
    Policy,
}

impl Res {
    pub fn as_str(self) -> &'static str {
        match self {
            Res::Pass => "pass",
            Res::Fail => "fail",
            Res::SoftFail => "softfail",
            Res::Neutral => "neutral",
            Res::None => "none",
            Res::PermError => "permerror",
            Res::TempError => "temperror",
            Res::Policy => "policy",
        }
    }

    /// The upper-case suffix of finding ids (`SPF_` + `SOFTFAIL`).
    fn id(self) -> String {
        self.as_str().to_ascii_uppercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spf {
    pub result: Res,
    /// The identity checked: `postmaster@helo` or the MAIL FROM address.
    pub identity: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSignature {
    pub result: Res,
    pub domain: String,
    pub selector: String,
    /// Why it did not pass, for the header comment and the logs.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dmarc {
    pub result: Res,
    pub from_domain: String,
    pub policy: DmarcPolicy,
    /// Why the From header cannot be evaluated (several or none): a fail of its own.
    pub bad_from: Option<&'static str>,
}

/// The ARC chain validation status: RFC 8617 defines only these three, so no other value
/// can be written (`arc=neutral` or `arc=permerror` would be invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArcStatus {
    None,
    Pass,
    Fail,
}

impl ArcStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArcStatus::None => "none",
            ArcStatus::Pass => "pass",
            ArcStatus::Fail => "fail",
        }
    }

    fn id(self) -> String {
        self.as_str().to_ascii_uppercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arc {
    pub result: ArcStatus,
    /// `d=` of the newest ARC-Seal, when there is a chain.
    pub sealer: Option<String>,
    /// Why the chain failed (for the header comment and the finding).
    pub reason: Option<String>,
}

/// A message may carry thousands of DKIM signatures; listing each would make Moat's own header
/// hundreds of kilobytes. Beyond this many, the header says how many it left out.
pub const MAX_LISTED_DKIM: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    pub helo: String,
    pub client_ip: std::net::IpAddr,
    pub spf_helo: Spf,
    pub spf_mail_from: Spf,
    pub dkim: Vec<DkimSignature>,
    pub arc: Arc,
    pub dmarc: Dmarc,
    pub iprev: Option<(Res, Option<String>)>,
    /// The ARC chain passed and its newest sealer is trusted: a DMARC failure is excused.
    pub trusted_forwarder: bool,
}

impl Results {
    /// `Authentication-Results: <authserv-id>; spf=… …` with folded lines, CRLF-terminated.
    pub fn header(&self, authserv_id: &str) -> String {
        let mut h = format!("Authentication-Results: {authserv_id}");
        let ip = self.client_ip;
        let _ = write!(
            h,
            ";\r\n\tspf={} smtp.helo={}",
            self.spf_helo.result.as_str(),
            value(&self.helo)
        );
        let _ = write!(
            h,
            ";\r\n\tspf={} smtp.mailfrom={}",
            self.spf_mail_from.result.as_str(),
            value(&self.spf_mail_from.identity)
        );
        if self.dkim.is_empty() {
            h.push_str(";\r\n\tdkim=none");
        }
        for sig in self.listed_dkim() {
            let _ = write!(h, ";\r\n\tdkim={}", sig.result.as_str());
            if let Some(reason) = &sig.reason {
                let _ = write!(h, " ({})", comment(reason));
            }
            let _ = write!(
                h,
                " header.d={} header.s={}",
                value(&sig.domain),
                value(&sig.selector)
            );
        }
        if self.dkim.len() > MAX_LISTED_DKIM {
            let more = self.dkim.len() - MAX_LISTED_DKIM;
            let _ = write!(h, " ({more} more DKIM signatures not listed)");
        }
        let _ = write!(h, ";\r\n\tarc={}", self.arc.result.as_str());
        match (&self.arc.reason, &self.arc.sealer) {
            (Some(why), Some(sealer)) => {
                let _ = write!(h, " ({}, sealed by {})", comment(why), comment(sealer));
            }
            (Some(why), None) => {
                let _ = write!(h, " ({})", comment(why));
            }
            (None, Some(sealer)) => {
                let _ = write!(h, " (sealed by {})", comment(sealer));
            }
            (None, None) => {}
        }
        let dmarc = &self.dmarc;
        let _ = write!(h, ";\r\n\tdmarc={}", dmarc.result.as_str());
        if let Some(why) = dmarc.bad_from {
            let _ = write!(h, " ({why})");
        } else if dmarc.result == Res::Fail && self.trusted_forwarder {
            h.push_str(" (excused: trusted ARC forwarder)");
        }
        let policy = match dmarc.policy {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        };
        let _ = write!(
            h,
            " header.from={} policy.dmarc={policy}",
            value(&dmarc.from_domain)
        );
        if let Some((result, ptr)) = &self.iprev {
            let _ = write!(h, ";\r\n\tiprev={}", result.as_str());
            if let Some(ptr) = ptr {
                let _ = write!(h, " ({})", comment(ptr));
            }
            let _ = write!(h, " policy.iprev={ip}");
        }
        h.push_str("\r\n");
        h
    }

    /// The DKIM results the header lists: passes first (what DMARC and the backend's filters
    /// rely on), then the others in message order, at most `MAX_LISTED_DKIM` of them.
    fn listed_dkim(&self) -> impl Iterator<Item = &DkimSignature> {
        let passed = self.dkim.iter().filter(|s| s.result == Res::Pass);
        let others = self.dkim.iter().filter(|s| s.result != Res::Pass);
        passed.chain(others).take(MAX_LISTED_DKIM)
    }

    /// One finding per method (DKIM: per distinct result): facts only — what each is worth
    /// and whether it forces an action is the policy table's answer (`verdict::table`, fed by
    /// `auth.policy`), asked when the message is weighed.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut push = |id: String, reason: String| out.push(Finding::fact(id, reason));
        push(
            format!("SPF_HELO_{}", self.spf_helo.result.id()),
            format!("SPF for HELO {}", self.spf_helo.identity),
        );
        push(
            format!("SPF_{}", self.spf_mail_from.result.id()),
            format!("SPF for MAIL FROM {}", self.spf_mail_from.identity),
        );
        let mut seen = Vec::new();
        for sig in &self.dkim {
            if !seen.contains(&sig.result) {
                seen.push(sig.result);
                let why = sig.reason.as_deref().unwrap_or("");
                push(
                    format!("DKIM_{}", sig.result.id()),
                    format!("DKIM d={} s={} {why}", sig.domain, sig.selector),
                );
            }
        }
        if self.dkim.is_empty() {
            push("DKIM_NONE".into(), "no DKIM signature".into());
        }
        let sealer = self.arc.sealer.as_deref().unwrap_or("-");
        push(
            format!("ARC_{}", self.arc.result.id()),
            match &self.arc.reason {
                Some(why) => format!("ARC sealer {sealer}: {why}"),
                None => format!("ARC sealer {sealer}"),
            },
        );
        let (id, reason) = self.dmarc_finding();
        push(id.into(), reason);
        if let Some((result, ptr)) = &self.iprev {
            push(
                format!("IPREV_{}", result.id()),
                format!("iprev {}", ptr.as_deref().unwrap_or("-")),
            );
        }
        out
    }

    fn dmarc_finding(&self) -> (&'static str, String) {
        let d = &self.dmarc;
        let from = &d.from_domain;
        if let Some(why) = d.bad_from {
            return ("DMARC_BAD_FROM", format!("DMARC: {why}"));
        }
        let id = match d.result {
            Res::Pass => "DMARC_PASS",
            Res::TempError => "DMARC_TEMPERROR",
            Res::PermError => "DMARC_PERMERROR",
            Res::Fail if self.trusted_forwarder => "DMARC_FORWARDED",
            Res::Fail => match d.policy {
                DmarcPolicy::Reject => "DMARC_REJECT",
                DmarcPolicy::Quarantine => "DMARC_QUARANTINE",
                DmarcPolicy::None => "DMARC_FAIL",
            },
            _ => "DMARC_NONE",
        };
        (id, format!("DMARC for From domain {from}"))
    }
}

/// A header value: printable ASCII without separators, else quoted (RFC 8601 pvalue).
fn value(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '(' | ')'))
        .take(255)
        .collect();
    if clean.is_empty() {
        return "\"\"".into();
    }
    if clean.contains([';', ' ', '=']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// Text for a header comment: no parentheses, backslashes or line breaks.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '(' | ')' | '\\') {
                c
            } else {
                ' '
            }
        })
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests;
