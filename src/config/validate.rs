//! Raw configuration → runtime `Config`. Every problem is collected before refusing, each
//! with file, line and key, so an administrator fixes a file in one pass.

use super::locate::line_of;
use super::raw::{Protocol, RawConfig};
use super::*;

/// Collects errors for one file.
struct Errors<'a> {
    text: &'a str,
    origin: &'a str,
    list: Vec<ConfigError>,
}

impl Errors<'_> {
    fn push(&mut self, key: &str, message: impl Into<String>) {
        self.list.push(ConfigError {
            file: self.origin.to_string(),
            line: line_of(self.text, key),
            key: key.to_string(),
            message: message.into(),
        });
    }
}

pub fn from_yaml(text: &str, origin: &str) -> Result<Config, ConfigErrors> {
    match checked(text, origin) {
        (Some(config), errors) if errors.is_empty() => Ok(config),
        (_, errors) => Err(ConfigErrors(errors)),
    }
}

/// Every error of the file, and the configuration as far as it could be built, with the
/// keys that are wrong left at their defaults (`None` when the text is not a configuration
/// at all). `crate::runtime::prepare` adds the errors of what it names (TLS files, rule files, ...)
/// so that one run reports everything.
pub fn checked(text: &str, origin: &str) -> (Option<Config>, Vec<ConfigError>) {
    let structure = super::structure::parse(text, origin);
    let mut list = structure.errors.clone();
    let Some(raw) = structure.raw else {
        return (None, list);
    };
    let mut errors = Errors {
        text,
        origin,
        list: Vec::new(),
    };
    let mut config = build(raw, origin, &mut errors);
    config.text = SourceText(text.into());
    // A key dropped as wrongly typed fell back to its default; what the semantic checks say
    // about it (or its section) would only repeat the structural error.
    list.extend(
        errors
            .list
            .into_iter()
            .filter(|e| !super::structure::covers(&structure.dropped, &e.key)),
    );
    (Some(config), list)
}

fn build(raw: RawConfig, origin: &str, errors: &mut Errors) -> Config {
    let hostname = raw.hostname.unwrap_or_default();
    if hostname.is_empty() {
        errors.push(
            "hostname",
            "is required (the name Moat uses in its greeting and headers)",
        );
    } else if !is_domain(&hostname) {
        errors.push("hostname", format!("`{hostname}` is not a valid host name"));
    }

    let mut listen = Vec::new();
    if raw.listen.is_empty() {
        errors.push("listen", "needs at least one address, e.g. 127.0.0.1:2525");
    }
    for (i, text) in raw.listen.iter().enumerate() {
        match text.parse::<SocketAddr>() {
            Ok(addr) => listen.push(addr),
            Err(_) => errors.push(
                &format!("listen[{i}]"),
                format!("`{text}` is not an ip:port address (IPv6: [::1]:25)"),
            ),
        }
    }

    if raw.domains.is_empty() {
        errors.push("domains", "needs at least one domain to accept mail for");
    }
    for (i, d) in raw.domains.iter().enumerate() {
        if !is_domain(d) {
            errors.push(
                &format!("domains[{i}]"),
                format!("`{d}` is not a valid domain"),
            );
        }
    }

    let backend = build_backend(raw.backend, &hostname, origin, errors);

    let tls = raw.tls.map(|t| TlsFiles {
        certificate: super::paths::resolve(origin, t.certificate),
        key: super::paths::resolve(origin, t.key),
    });

    let l = raw.limits;
    let positive = |errors: &mut Errors, key: &str, v: u64| {
        if v == 0 {
            errors.push(key, "must be greater than 0");
        }
    };
    positive(errors, "limits.max_connections", l.max_connections.into());
    positive(
        errors,
        "limits.max_connections_per_ip",
        l.max_connections_per_ip.into(),
    );
    positive(
        errors,
        "limits.max_connections_per_network",
        l.max_connections_per_network.into(),
    );
    if l.shed_at_percent > 100 {
        errors.push("limits.shed_at_percent", "must be 0..=100 (0 = never shed)");
    }
    let mut problems = Vec::new();
    let network = ratelimit::prefixes("limits", l.ipv4_prefix, l.ipv6_prefix, &mut problems);
    for (key, message) in problems {
        errors.push(&key, message);
    }
    positive(errors, "limits.listen_backlog", l.listen_backlog.into());
    positive(errors, "limits.max_message_size", l.max_message_size.0);
    positive(errors, "limits.max_recipients", l.max_recipients.into());
    positive(errors, "limits.max_bad_commands", l.max_bad_commands.into());
    positive(errors, "limits.max_commands", l.max_commands.into());
    if l.max_command_line.0 < 512 {
        errors.push(
            "limits.max_command_line",
            "must be at least 512 (RFC 5321 4.5.3.1.4)",
        );
    }
    if l.max_data_line.0 < 1000 {
        errors.push(
            "limits.max_data_line",
            "must be at least 1000 (RFC 5321 4.5.3.1.6)",
        );
    }
    let t = &l.timeouts;
    for (key, d) in [
        ("limits.timeouts.greeting", t.greeting.0),
        ("limits.timeouts.command", t.command.0),
        ("limits.timeouts.command_line", t.command_line.0),
        ("limits.timeouts.data", t.data.0),
        ("limits.timeouts.session", t.session.0),
    ] {
        if d.is_zero() {
            errors.push(key, "must be greater than 0");
        }
    }
    let limits = Limits {
        max_connections: l.max_connections as usize,
        max_connections_per_ip: l.max_connections_per_ip as usize,
        max_connections_per_network: l.max_connections_per_network as usize,
        network,
        shed_at_percent: l.shed_at_percent.min(100),
        listen_backlog: l.listen_backlog,
        max_message_size: usize::try_from(l.max_message_size.0).unwrap_or(usize::MAX),
        max_memory: usize::try_from(l.max_memory.0).unwrap_or(usize::MAX),
        max_recipients: l.max_recipients as usize,
        max_command_line: usize::try_from(l.max_command_line.0).unwrap_or(usize::MAX),
        max_data_line: usize::try_from(l.max_data_line.0).unwrap_or(usize::MAX),
        max_bad_commands: l.max_bad_commands,
        max_commands: l.max_commands,
        timeouts: SessionTimeouts {
            greeting: t.greeting.0,
            command: t.command.0,
            command_line: t.command_line.0,
            data: t.data.0,
            session: t.session.0,
        },
    };

    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&raw.log.level) {
        errors.push(
            "log.level",
            format!("`{}` is not a log filter: {e}", raw.log.level),
        );
    }

    let mut problems = Vec::new();
    let (dns, auth) = super::auth::build(raw.dns, raw.auth, &mut problems);
    let reputation = super::reputation::build(origin, raw.reputation, &mut problems);
    let proxy = super::proxy::build(raw.proxy_protocol, &listen, &mut problems);
    let state = super::state::build(origin, raw.state, &mut problems);
    let ratelimit = super::ratelimit::build(raw.ratelimit, &mut problems);
    let greylist = super::greylist::build(raw.greylist, &mut problems);
    let malware = crate::config::malware::build(raw.malware, &mut problems);
    let scan_api = crate::config::doors::build_scan_api(raw.scan_api, &mut problems);
    let milter = crate::config::doors::build_milter(raw.milter, &mut problems);
    let console = crate::config::console::build(origin, raw.console, &mut problems);
    for (key, message) in problems {
        errors.push(&key, message);
    }
    let admin = super::admin::build(raw.admin).unwrap_or_else(|e| {
        errors.push("admin.listen", e);
        Default::default()
    });

    let bayes = super::bayes::build(origin, raw.bayes, &mut |key, message| {
        errors.push(key, message)
    });
    if let Some((key, message)) = super::state::check_model_storage(&bayes, &state) {
        errors.push(&key, message);
    }
    let mut config = Config {
        origin: origin.to_string(),
        text: SourceText::default(),
        hostname,
        listen,
        domains: Domains::new(raw.domains),
        backend,
        tls,
        bare_newline: raw.smtp.bare_newline,
        nul_bytes: raw.smtp.nul_bytes,
        quoted_local_parts: raw.smtp.quoted_local_parts,
        limits,
        shutdown_grace: raw
            .shutdown_grace
            .map(|d| d.0)
            .unwrap_or(Duration::from_secs(30)),
        log: LogConfig {
            format: raw.log.format,
            level: raw.log.level,
        },
        dns,
        auth,
        admin,
        bayes,
        reputation,
        proxy,
        state,
        ratelimit,
        greylist,
        malware,
        scan_api,
        milter,
        console,
        policy: super::policy::build(
            origin,
            raw.rules,
            raw.actions,
            raw.lists,
            raw.quarantine,
            &mut |key, message| errors.push(key, message),
        ),
        table: Default::default(),
    };
    // The one policy table, assembled from the sections that configure each finding.
    config.table = super::stages::PolicyTable::from_config(&config);
    config
}

fn build_backend(
    raw: Option<raw::RawBackend>,
    hostname: &str,
    origin: &str,
    errors: &mut Errors,
) -> BackendConfig {
    let fallback = BackendConfig {
        target: BackendTarget::Maildir {
            path: PathBuf::from("./moat-mail"),
        },
        helo: hostname.to_string(),
        timeouts: BackendTimeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(60),
            data: Duration::from_secs(300),
        },
        pool: Default::default(),
        pipelining: true,
        chunking: true,
    };
    let Some(b) = raw else {
        errors.push("backend", "is required (protocol: maildir, smtp or lmtp)");
        return fallback;
    };
    let remote = |errors: &mut Errors, address: Option<String>| -> String {
        match address {
            None => {
                errors.push(
                    "backend.address",
                    "is required for smtp and lmtp (host:port)",
                );
                String::new()
            }
            Some(a) if !is_host_port(&a) => {
                errors.push("backend.address", format!("`{a}` is not host:port"));
                a
            }
            Some(a) => a,
        }
    };
    let target = match b.protocol {
        Protocol::Maildir => {
            if b.address.is_some() {
                errors.push(
                    "backend.address",
                    "is not used by the maildir backend (remove it)",
                );
            }
            match b.path {
                Some(p) if !p.is_empty() => BackendTarget::Maildir {
                    path: super::paths::resolve(origin, p),
                },
                _ => {
                    errors.push("backend.path", "is required for the maildir backend");
                    fallback.target.clone()
                }
            }
        }
        Protocol::Smtp | Protocol::Lmtp => {
            if b.path.is_some() {
                errors.push(
                    "backend.path",
                    "is only used by the maildir backend (remove it)",
                );
            }
            let address = remote(errors, b.address);
            if b.protocol == Protocol::Smtp {
                BackendTarget::Smtp { address }
            } else {
                BackendTarget::Lmtp { address }
            }
        }
    };
    let helo = b.helo.unwrap_or_else(|| hostname.to_string());
    if !helo.is_empty() && !is_domain(&helo) {
        errors.push("backend.helo", format!("`{helo}` is not a valid host name"));
    }
    for (key, d) in [
        ("backend.timeouts.connect", b.timeouts.connect.0),
        ("backend.timeouts.command", b.timeouts.command.0),
        ("backend.timeouts.data", b.timeouts.data.0),
    ] {
        if d.is_zero() {
            errors.push(key, "must be greater than 0");
        }
    }
    let mut problems = Vec::new();
    let pool = super::pool::build(b.pool, &mut problems);
    for (key, message) in problems {
        errors.push(&key, message);
    }
    BackendConfig {
        target,
        helo,
        pool,
        pipelining: b.pipelining,
        chunking: b.chunking,
        timeouts: BackendTimeouts {
            connect: b.timeouts.connect.0,
            command: b.timeouts.command.0,
            data: b.timeouts.data.0,
        },
    }
}

/// A DNS name: dot-separated labels of letters, digits and hyphens.
pub fn is_domain(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_host_port(text: &str) -> bool {
    if text.parse::<SocketAddr>().is_ok() {
        return true;
    }
    match text.rsplit_once(':') {
        Some((host, port)) => is_domain(host) && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

#[cfg(test)]
mod tests;
