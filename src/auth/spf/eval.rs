//! `check_host()` (RFC 7208 sections 4 and 5): record selection, mechanisms in order, the
//! lookup limits, `include`, `redirect` and `exp`.

use super::lookup::{DnsFail, Lookup};
use super::macros::{Context, MacroString, Values, dotted_ip};
use super::record::{Cidr, Mechanism, Qualifier, Record, is_spf};
use super::{Query, Verdict};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// At most 10 terms that query DNS per check (RFC 7208 4.6.4).
const MAX_DNS_TERMS: usize = 10;
/// At most 2 lookups that find nothing (4.6.4): bounds what a hostile record can make us ask.
const MAX_VOID: usize = 2;
/// MX and PTR answers beyond 10 names (4.6.4).
const MAX_NAMES: usize = 10;

/// The evaluation stops with an error result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Temp,
    Perm,
}

type Step<T> = Result<T, Stop>;

/// A check's result with the explanation of a `fail`.
type Checked = Step<(Verdict, Option<String>)>;

/// `check_host` is recursive (include, redirect), so its future is boxed.
type Boxed<'s> = Pin<Box<dyn Future<Output = Checked> + Send + 's>>;

/// One check's state: the lookups spent so far across every include and redirect.
pub struct Eval<'a, D: Lookup> {
    pub dns: &'a D,
    pub query: &'a Query,
    dns_terms: usize,
    voids: usize,
    /// `%{p}`, looked up once when a macro first needs it.
    validated: Option<String>,
}

impl<'a, D: Lookup> Eval<'a, D> {
    pub fn new(dns: &'a D, query: &'a Query) -> Self {
        Eval {
            dns,
            query,
            dns_terms: 0,
            voids: 0,
            validated: None,
        }
    }

    /// `check_host(ip, domain, sender)`; an explanation comes with a `fail` from a record
    /// with `exp=` when `explain` (never through `include`, 6.2).
    pub fn check_host<'s>(&'s mut self, domain: String, explain: bool) -> Boxed<'s>
    where
        D: 's,
    {
        Box::pin(async move {
            let Some(record) = self.record(&domain).await? else {
                return Ok((Verdict::None, None));
            };
            for directive in &record.directives {
                if directive.mechanism.queries_dns() {
                    self.count_dns_term()?;
                }
                if self.matches(&directive.mechanism, &domain).await? {
                    let verdict = match directive.qualifier {
                        Qualifier::Pass => Verdict::Pass,
                        Qualifier::Fail => Verdict::Fail,
                        Qualifier::SoftFail => Verdict::SoftFail,
                        Qualifier::Neutral => Verdict::Neutral,
                    };
                    let explanation = match (&record.exp, verdict) {
                        (Some(exp), Verdict::Fail) if explain => self.explain(exp, &domain).await,
                        _ => None,
                    };
                    return Ok((verdict, explanation));
                }
            }
            let Some(redirect) = &record.redirect else {
                return Ok((Verdict::Neutral, None));
            };
            // The redirect target's own exp= applies, not this record's (6.2).
            self.count_dns_term()?;
            let target = self.target(redirect, &domain).await;
            let target = valid_name(&target).ok_or(Stop::Perm)?;
            match self.check_host(target, explain).await? {
                (Verdict::None, _) => Err(Stop::Perm),
                done => Ok(done),
            }
        })
    }

    fn count_dns_term(&mut self) -> Step<()> {
        self.dns_terms += 1;
        if self.dns_terms > MAX_DNS_TERMS {
            return Err(Stop::Perm);
        }
        Ok(())
    }

    /// A lookup that found nothing: one more void, an error past the limit.
    fn void(&mut self) -> Step<()> {
        self.voids += 1;
        if self.voids > MAX_VOID {
            return Err(Stop::Perm);
        }
        Ok(())
    }

    /// The domain's one SPF record (4.4, 4.5); `None` when it has none.
    async fn record(&mut self, domain: &str) -> Step<Option<Record>> {
        let txts = match self.dns.txt(domain).await {
            Ok(txts) => txts,
            Err(DnsFail::Void) => return Ok(None),
            Err(DnsFail::Temp) => return Err(Stop::Temp),
        };
        let mut spf = txts.iter().filter(|t| is_spf(t));
        let Some(first) = spf.next() else {
            return Ok(None);
        };
        if spf.next().is_some() {
            return Err(Stop::Perm);
        }
        Record::parse(first).map(Some).map_err(|_| Stop::Perm)
    }

    async fn matches(&mut self, mechanism: &Mechanism, domain: &str) -> Step<bool> {
        let ip = self.query.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(net, len) => Ok(in_network(ip, IpAddr::V4(*net), *len)),
            Mechanism::Ip6(net, len) => Ok(in_network(ip, IpAddr::V6(*net), *len)),
            Mechanism::Include(spec) => {
                let target = self.target(spec, domain).await;
                let Some(target) = valid_name(&target) else {
                    // A name that cannot exist has no record: include of "none" (5.2).
                    return Err(Stop::Perm);
                };
                match self.check_host(target, false).await? {
                    (Verdict::Pass, _) => Ok(true),
                    (Verdict::None, _) => Err(Stop::Perm),
                    _ => Ok(false),
                }
            }
            Mechanism::A(spec, cidr) => {
                let name = self.optional_target(spec.as_ref(), domain).await;
                self.address_match(name, *cidr, true).await
            }
            Mechanism::Mx(spec, cidr) => {
                let name = self.optional_target(spec.as_ref(), domain).await;
                self.mx_match(name, *cidr).await
            }
            Mechanism::Ptr(spec) => {
                let target = self.optional_target(spec.as_ref(), domain).await;
                let Some(target) = target else {
                    return Ok(false);
                };
                let names = self.validated_names().await?;
                Ok(names.iter().any(|n| is_within(n, &target)))
            }
            Mechanism::Exists(spec) => {
                let target = self.target(spec, domain).await;
                let Some(name) = valid_name(&target) else {
                    return Ok(false);
                };
                // Always an A query, whatever the client's address family (5.7).
                match self.dns.a(&name).await {
                    Ok(found) if !found.is_empty() => Ok(true),
                    Ok(_) | Err(DnsFail::Void) => self.void().map(|()| false),
                    Err(DnsFail::Temp) => Err(Stop::Temp),
                }
            }
        }
    }

    /// `a`: any address of `name` in the client's family within the CIDR (5.3).
    /// `count_void` is false for the names an MX answer gave (only the term's own lookup
    /// counts).
    async fn address_match(
        &mut self,
        name: Option<String>,
        cidr: Cidr,
        count_void: bool,
    ) -> Step<bool> {
        let Some(name) = name else {
            return Ok(false);
        };
        let found = match self.query.ip {
            IpAddr::V4(_) => self
                .dns
                .a(&name)
                .await
                .map(|v| v.into_iter().map(IpAddr::V4).collect::<Vec<_>>()),
            IpAddr::V6(_) => self
                .dns
                .aaaa(&name)
                .await
                .map(|v| v.into_iter().map(IpAddr::V6).collect::<Vec<_>>()),
        };
        match found {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs
                .iter()
                .any(|a| in_network(self.query.ip, *a, cidr.len(self.query.ip)))),
            Ok(_) | Err(DnsFail::Void) if count_void => self.void().map(|()| false),
            Ok(_) | Err(DnsFail::Void) => Ok(false),
            Err(DnsFail::Temp) => Err(Stop::Temp),
        }
    }

    /// `mx`: the addresses of at most 10 exchanges (5.4).
    async fn mx_match(&mut self, name: Option<String>, cidr: Cidr) -> Step<bool> {
        let Some(name) = name else {
            return Ok(false);
        };
        let exchanges = match self.dns.mx(&name).await {
            Ok(found) if !found.is_empty() => found,
            Ok(_) | Err(DnsFail::Void) => return self.void().map(|()| false),
            Err(DnsFail::Temp) => return Err(Stop::Temp),
        };
        if exchanges.len() > MAX_NAMES {
            return Err(Stop::Perm);
        }
        for exchange in exchanges {
            if self
                .address_match(valid_name(&exchange), cidr, false)
                .await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The client's validated host names (5.5): PTR names, at most 10, whose own
    /// addresses include the client's. DNS errors only remove names.
    async fn validated_names(&mut self) -> Step<Vec<String>> {
        let ip = self.query.ip;
        let names = match self.dns.ptr(ip).await {
            Ok(names) if !names.is_empty() => names,
            Ok(_) | Err(DnsFail::Void) => return self.void().map(|()| Vec::new()),
            Err(DnsFail::Temp) => return Ok(Vec::new()),
        };
        let mut validated = Vec::new();
        for name in names.iter().take(MAX_NAMES) {
            let Some(name) = valid_name(name) else {
                continue;
            };
            let found = match ip {
                IpAddr::V4(v4) => self.dns.a(&name).await.is_ok_and(|a| a.contains(&v4)),
                IpAddr::V6(v6) => self.dns.aaaa(&name).await.is_ok_and(|a| a.contains(&v6)),
            };
            if found {
                validated.push(name);
            }
        }
        Ok(validated)
    }

    /// The domain-spec of a mechanism, or the current domain when it has none.
    async fn optional_target(
        &mut self,
        spec: Option<&MacroString>,
        domain: &str,
    ) -> Option<String> {
        match spec {
            Some(spec) => valid_name(&self.target(spec, domain).await),
            None => valid_name(domain),
        }
    }

    /// A domain-spec expanded, at most 253 characters (left labels dropped, 4.8).
    async fn target(&mut self, spec: &MacroString, domain: &str) -> String {
        let name = self.expand(spec, domain).await;
        let mut name = name.strip_suffix('.').unwrap_or(&name);
        while name.len() > 253 {
            match name.split_once('.') {
                Some((_, rest)) => name = rest,
                None => break,
            }
        }
        name.to_string()
    }

    async fn expand(&mut self, spec: &MacroString, domain: &str) -> String {
        if spec.uses(b'p') && self.validated.is_none() {
            // %{p}: a validated name within the domain if there is one, else any (7.3).
            let names = self.validated_names_uncounted().await;
            let pick = names
                .iter()
                .find(|n| is_within(n, domain))
                .or(names.first())
                .cloned();
            self.validated = Some(pick.unwrap_or_else(|| "unknown".into()));
        }
        let values = MacroValues {
            query: self.query,
            domain,
            validated: self.validated.as_deref().unwrap_or("unknown"),
        };
        spec.expand(&values)
    }

    /// `%{p}` is no mechanism: its lookups count toward no limit, and errors leave it unknown.
    async fn validated_names_uncounted(&mut self) -> Vec<String> {
        let voids = self.voids;
        let names = self.validated_names().await.unwrap_or_default();
        self.voids = voids;
        names
    }

    /// `exp=`: the explanation TXT record, expanded (6.2). Any failure means none.
    async fn explain(&mut self, spec: &MacroString, domain: &str) -> Option<String> {
        let name = valid_name(&self.target(spec, domain).await)?;
        let txts = self.dns.txt(&name).await.ok()?;
        let [text] = txts.as_slice() else {
            return None;
        };
        let text = std::str::from_utf8(text).ok()?;
        let exp = MacroString::parse(text, Context::Explanation).ok()?;
        Some(self.expand(&exp, domain).await)
    }
}

impl Cidr {
    fn len(self, ip: IpAddr) -> u8 {
        match ip {
            IpAddr::V4(_) => self.v4,
            IpAddr::V6(_) => self.v6,
        }
    }
}

/// Whether `ip` is within `net/len`; addresses of different families never match.
fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// `name` is `domain` or a subdomain of it (case-insensitive).
fn is_within(name: &str, domain: &str) -> bool {
    let (name, domain) = (name.to_ascii_lowercase(), domain.to_ascii_lowercase());
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// `name` without a trailing dot if DNS can hold it: labels of 1 to 63 octets, 253 in all.
/// Anything else names nothing: a lookup of it is skipped as one that found nothing.
pub fn valid_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| !l.is_empty() && l.len() <= 63);
    ok.then(|| name.to_string())
}

/// The values of the macro letters for one expansion.
struct MacroValues<'a> {
    query: &'a Query,
    domain: &'a str,
    validated: &'a str,
}

impl Values for MacroValues<'_> {
    fn value(&self, letter: u8) -> String {
        let q = self.query;
        match letter {
            b's' => format!("{}@{}", q.local, q.sender_domain),
            b'l' => q.local.clone(),
            b'o' => q.sender_domain.clone(),
            b'd' => self.domain.to_string(),
            b'i' => dotted_ip(q.ip),
            b'p' => self.validated.to_string(),
            b'v' => match q.ip {
                IpAddr::V4(_) => "in-addr".into(),
                IpAddr::V6(_) => "ip6".into(),
            },
            b'h' => q.helo.clone(),
            b'c' => q.ip.to_string(),
            b'r' => q.receiver.clone(),
            b't' => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .to_string(),
            _ => String::new(),
        }
    }
}
