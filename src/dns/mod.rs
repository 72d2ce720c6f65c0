//! The one DNS resolver of Moat: hickory-resolver (the one mail-auth uses), built from the
//! `dns:` section. Every lookup — SPF, DKIM keys, DMARC, ARC, iprev, DNSBL, RHSBL, URIBL — goes
//! through it, so one cache, one timeout and one set of name servers apply everywhere, and
//! tests point it at a loopback server. A reload that leaves `dns:` unchanged keeps it, cache
//! and all.

use crate::config::auth::DnsConfig;
use mail_auth::MessageAuthenticator;
use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("cannot read the system's DNS configuration: {0}")]
    SystemConf(String),
    #[error("cannot build the DNS resolver: {0}")]
    Build(String),
}

/// The shared resolver: cheap to clone, every clone asks through one cache.
#[derive(Clone)]
pub struct Resolver {
    config: DnsConfig,
    inner: Arc<MessageAuthenticator>,
}

impl Resolver {
    pub fn new(config: &DnsConfig) -> Result<Resolver, DnsError> {
        Ok(Resolver {
            config: config.clone(),
            inner: Arc::new(authenticator(config)?),
        })
    }

    /// `previous` itself (same cache) when it was built from an equal `dns:` section, else a
    /// new resolver.
    pub fn reuse_or_new(
        previous: Option<&Resolver>,
        config: &DnsConfig,
    ) -> Result<Resolver, DnsError> {
        match previous {
            Some(p) if p.config == *config => Ok(p.clone()),
            _ => Resolver::new(config),
        }
    }

    /// Whether two handles share one resolver and cache.
    pub fn same(&self, other: &Resolver) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::ops::Deref for Resolver {
    type Target = MessageAuthenticator;

    fn deref(&self) -> &MessageAuthenticator {
        &self.inner
    }
}

/// Builds the resolver (wrapped in mail-auth's authenticator) for one configuration.
fn authenticator(config: &DnsConfig) -> Result<MessageAuthenticator, DnsError> {
    let (resolver_config, mut opts) = if config.nameservers.is_empty() {
        mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| DnsError::SystemConf(e.to_string()))?
    } else {
        (explicit(config), ResolverOpts::default())
    };
    opts.timeout = config.timeout;
    // hickory's `attempts` counts retries after the first try; Moat's `dns.attempts` counts
    // tries, which is what the checks' deadline (`timeout x attempts`) assumes. Passing it
    // straight made a dead server cost one timeout more than the deadline, so a lookup that
    // ran out (an `exp=` for an SPF fail, say) turned into a temperror.
    opts.attempts = config.attempts.saturating_sub(1);
    opts.cache_size = config.cache_size;
    opts.negative_max_ttl = Some(config.negative_ttl);
    // Answers come from the configured servers only; no /etc/hosts shortcuts for mail auth.
    opts.use_hosts_file = mail_auth::hickory_resolver::config::ResolveHosts::Never;
    // Names in mail are absolute; never append a search domain.
    opts.ndots = 0;
    MessageAuthenticator::new(resolver_config, opts).map_err(|e| DnsError::Build(e.to_string()))
}

/// `ip:port` name servers, each over UDP with TCP for truncated answers.
fn explicit(config: &DnsConfig) -> ResolverConfig {
    let servers = config
        .nameservers
        .iter()
        .map(|addr| {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
        })
        .collect();
    ResolverConfig::from_name_servers(servers)
}

#[cfg(test)]
mod tests;
