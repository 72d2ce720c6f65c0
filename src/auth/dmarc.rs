//! DMARC: which record applies to the author's domain and whether SPF or DKIM align with it.
//!
//! Both depend on the **organisational domain** (RFC 7489 3.2), and `auth.dmarc.org_domain`
//! chooses how it is found:
//!
//! - `psl` (the default): the registrable domain by the Public Suffix List, RFC 7489's own
//!   method. The record is the author domain's, else the organisational domain's (6.6.3):
//!   at most two lookups, whatever the name's depth.
//! - `tree_walk`: DMARCbis, mail-auth's evaluation unchanged: `_dmarc` records are looked up
//!   label by label towards the root and their `psd=` tags decide.
//!
//! The two differ where the PSL knows a suffix that publishes no `psd=y` record (a
//! multi-label suffix like `co.uk` or a private suffix like `github.io`: the walk takes the
//! suffix's parent for the organisation), and where a domain under a suffix publishes
//! records below its registrable domain. docs/auth.md lists the cases.

use super::convert::dmarc_res;
use super::results::{Dmarc, DmarcPolicy, Res};
use crate::config::auth::OrgDomain;
use crate::reputation::psl::SuffixList;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::{Alignment, Dmarc as Record, Policy};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{AuthenticatedMessage, DkimOutput, DkimResult, DnsError, Error, SpfOutput};
use std::sync::Arc;

/// What DMARC needs from the rest of the message's authentication.
pub struct Evidence<'x> {
    pub msg: &'x AuthenticatedMessage<'x>,
    pub dkim: &'x [DkimOutput<'x>],
    /// The SPF MAIL FROM identity's domain and result.
    pub mail_from_domain: &'x str,
    pub spf_output: &'x SpfOutput,
    pub spf: Res,
}

/// The DMARC result for a message with exactly one author domain (`from_problem` has
/// already refused the others).
pub async fn evaluate(
    resolver: &crate::dns::Resolver,
    mode: OrgDomain,
    suffixes: &SuffixList,
    ev: Evidence<'_>,
) -> Dmarc {
    match mode {
        OrgDomain::TreeWalk => tree_walk(resolver, ev).await,
        OrgDomain::Psl => Box::pin(by_psl(resolver, suffixes, ev)).await,
    }
}

/// mail-auth's DMARCbis evaluation.
async fn tree_walk(resolver: &crate::dns::Resolver, ev: Evidence<'_>) -> Dmarc {
    let params = DmarcParameters::new(ev.msg, ev.dkim, ev.mail_from_domain, ev.spf_output);
    let out = Box::pin(resolver.verify_dmarc(params)).await;
    Dmarc {
        result: dmarc_res(&out.result()),
        from_domain: out.domain().to_string(),
        policy: policy_of(out.policy()),
        bad_from: None,
    }
}

fn policy_of(p: Policy) -> DmarcPolicy {
    match p {
        Policy::Reject => DmarcPolicy::Reject,
        Policy::Quarantine => DmarcPolicy::Quarantine,
        _ => DmarcPolicy::None,
    }
}

/// RFC 7489 6.6.3 with the organisational domain from the PSL.
async fn by_psl(resolver: &crate::dns::Resolver, suffixes: &SuffixList, ev: Evidence<'_>) -> Dmarc {
    let from = ev
        .msg
        .from()
        .rsplit_once('@')
        .map_or(String::new(), |(_, d)| normalise(d));
    let org = org_domain(suffixes, &from);
    let verdict = |result, policy| Dmarc {
        result,
        from_domain: from.clone(),
        policy,
        bad_from: None,
    };
    // Step 1: the author domain's record; step 2: the organisational domain's.
    let (record, at_author) = match lookup(resolver, &from).await {
        Lookup::Found(r) => (r, true),
        Lookup::Failed(res) => return verdict(res, DmarcPolicy::None),
        Lookup::Missing if org == from => return verdict(Res::None, DmarcPolicy::None),
        Lookup::Missing => match lookup(resolver, &org).await {
            Lookup::Found(r) => (r, false),
            Lookup::Failed(res) => return verdict(res, DmarcPolicy::None),
            Lookup::Missing => return verdict(Res::None, DmarcPolicy::None),
        },
    };
    // `np` (RFC 9091) only matters when it differs from `sp`: then ask whether the author
    // domain exists at all.
    let exists = if !at_author && record.np != record.sp {
        author_exists(resolver, &from).await
    } else {
        true
    };
    let Some(policy) = applied_policy(&record, at_author, exists) else {
        return verdict(Res::None, DmarcPolicy::None);
    };
    let aligned = |id: &str, mode| aligned(suffixes, id, &from, &org, mode);
    let spf_aligned = aligned(ev.mail_from_domain, record.aspf);
    let mut pass = spf_aligned && ev.spf == Res::Pass;
    let mut temp = spf_aligned && ev.spf == Res::TempError;
    for out in ev.dkim {
        let Some(sig) = out.signature() else { continue };
        if !aligned(&sig.d, record.adkim) {
            continue;
        }
        match out.result() {
            DkimResult::Pass => pass = true,
            DkimResult::TempError(_) => temp = true,
            _ => {}
        }
    }
    // A DNS failure on an aligned identifier means DMARC can neither pass nor fail.
    let result = match (pass, temp) {
        (true, _) => Res::Pass,
        (false, true) => Res::TempError,
        (false, false) => Res::Fail,
    };
    verdict(result, policy_of(policy))
}

/// A `_dmarc` lookup's outcome.
enum Lookup {
    Found(Arc<Record>),
    /// No DMARC record there (none, or no TXT that starts with `v=DMARC1`).
    Missing,
    /// A DNS failure (temperror) or a record that cannot be read (permerror).
    Failed(Res),
}

async fn lookup(resolver: &crate::dns::Resolver, domain: &str) -> Lookup {
    if domain.is_empty() {
        return Lookup::Missing;
    }
    let name = format!("_dmarc.{domain}.");
    let no_cache = None::<&mail_auth::common::cache::NoCache<Box<str>, mail_auth::Txt>>;
    match Box::pin(resolver.txt_lookup::<Record>(name, no_cache)).await {
        Ok(record) => Lookup::Found(record),
        Err(Error::Dns(DnsError::RecordNotFound(_) | DnsError::InvalidRecordType)) => {
            Lookup::Missing
        }
        Err(Error::Dns(DnsError::Resolver(_))) => Lookup::Failed(Res::TempError),
        Err(_) => Lookup::Failed(Res::PermError),
    }
}

/// RFC 9091 (and RFC 8020): only NXDOMAIN says a name does not exist; any other answer,
/// failures included, counts as existing (`sp` rather than `np`).
async fn author_exists(resolver: &crate::dns::Resolver, domain: &str) -> bool {
    let no_cache = None::<&mail_auth::common::cache::NoCache<Box<str>, mail_auth::RecordSet<_>>>;
    let lookup = resolver.ipv4_lookup(format!("{domain}."), no_cache);
    !matches!(
        Box::pin(lookup).await,
        Err(Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain)))
    )
}

/// The policy that applies: `p` for a record of the author domain itself, else `np` for a
/// non-existent author domain, `sp` for an existing one (RFC 7489 6.6.3, RFC 9091); `t=y`
/// lowers it one step, as DMARCbis (and the tree walk) does. `None`: DMARC does not apply
/// (no valid `p=` and no `rua=`, RFC 7489 6.6.3 step 6).
fn applied_policy(record: &Record, at_author: bool, exists: bool) -> Option<Policy> {
    let policy = match (record.p, at_author, exists) {
        (Policy::Unspecified, ..) if record.rua.is_empty() => return None,
        (Policy::Unspecified, ..) => Policy::None,
        (p, true, _) => p,
        (_, false, false) => record.np,
        (_, false, true) => record.sp,
    };
    Some(match (record.t, policy) {
        (true, Policy::Reject) => Policy::Quarantine,
        (true, Policy::Quarantine) => Policy::None,
        (_, p) => p,
    })
}

/// Lower case, no trailing dot, A-labels (the PSL is matched in Unicode, `org_domain`).
fn normalise(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    idna::domain_to_ascii(&d).unwrap_or(d)
}

/// The organisational domain: the registrable domain by the list, or the name itself when
/// it is a public suffix (or not a domain). The list holds Unicode names, so the label
/// count is found on the Unicode form and taken from the A-label form.
pub fn org_domain(suffixes: &SuffixList, domain: &str) -> String {
    let (unicode, _) = idna::domain_to_unicode(domain);
    let Some(registrable) = suffixes.registrable(&unicode) else {
        return domain.to_string();
    };
    let keep = registrable.split('.').count();
    let labels: Vec<&str> = domain.split('.').collect();
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// Identifier alignment (RFC 7489 3.1): strict needs the same name, relaxed the same
/// organisational domain.
fn aligned(suffixes: &SuffixList, id: &str, from: &str, org: &str, mode: Alignment) -> bool {
    let id = normalise(id);
    !id.is_empty()
        && (id == from || (mode == Alignment::Relaxed && org_domain(suffixes, &id) == org))
}

#[cfg(test)]
mod tests;
