//! The one DNS resolver of Moat: hickory-resolver (the one mail-auth uses), built from the
//! `dns:` section. Every lookup — SPF, DKIM keys, DMARC, ARC, iprev — goes through it, so one
//! cache, one timeout and one set of name servers apply everywhere, and tests point it at a
//! loopback server.

use crate::config::auth::DnsConfig;
use mail_auth::MessageAuthenticator;
use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("cannot read the system's DNS configuration: {0}")]
    SystemConf(String),
    #[error("cannot build the DNS resolver: {0}")]
    Build(String),
}

/// Builds the resolver (wrapped in mail-auth's authenticator) for one configuration.
pub fn authenticator(config: &DnsConfig) -> Result<MessageAuthenticator, DnsError> {
    let (resolver_config, mut opts) = if config.nameservers.is_empty() {
        mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| DnsError::SystemConf(e.to_string()))?
    } else {
        (explicit(config), ResolverOpts::default())
    };
    opts.timeout = config.timeout;
    opts.attempts = config.attempts;
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
