//! One way from a configuration file to everything `serve` runs on, except the sockets.
//!
//! `moat serve` at start, every reload (SIGHUP, `POST /reload`, the file watch) and
//! `moat check-config` all call `prepare`, so what check-config accepts is exactly what
//! serve accepts: the same YAML checks, and then the same construction of what the file
//! names — the STARTTLS certificate and key, the rule files, the classifier model, the DNS
//! resolver. Every error is collected (`file:line: key: message`) before refusing.
//!
//! Not checked here, because only a running server can: whether the `listen` and
//! `admin.listen` addresses can be bound, whether the backend and Redis answer.

use crate::checks::Check;
use crate::config::{Config, ConfigError, ConfigErrors};
use crate::relay::Relay;
use crate::rules::RuleError;
use crate::runtime::Runtime;
use crate::smtp::session::SessionConfig;
use crate::verdict::table::Scoring;
use std::path::Path;
use std::sync::Arc;

/// Reads and checks the configuration at `path` (`None`: the embedded default) and builds
/// its runtime. `loaded` sees the configuration before anything is built (serve sets up its
/// logging from it, so that what building logs is logged as configured, and applies its
/// `--listen`/`--admin` overrides: `crate::config::overrides`).
/// `previous` is the running runtime on a reload: its DNS resolver (and cache) is kept when
/// `dns:` is unchanged.
pub fn prepare(
    path: Option<&Path>,
    previous: Option<&Runtime>,
    loaded: &mut dyn FnMut(&mut Config),
) -> Result<Runtime, ConfigErrors> {
    let (config, mut errors) = Config::read_checked(path);
    let Some(mut config) = config else {
        return Err(ConfigErrors(errors));
    };
    loaded(&mut config);
    match Parts::build(&config, previous) {
        Ok(parts) if errors.is_empty() => Ok(Runtime::assemble(config, parts)),
        Ok(_) => Err(in_file_order(&config, errors)),
        Err(more) => {
            errors.extend(more);
            Err(in_file_order(&config, errors))
        }
    }
}

/// The configuration file's errors by line, then those of the files it names (each file's
/// own order kept), so that the list reads like the file.
fn in_file_order(config: &Config, mut errors: Vec<ConfigError>) -> ConfigErrors {
    errors.sort_by_key(|e| match e.file == config.origin {
        true => (0, e.line.unwrap_or(0)),
        false => (1, 0),
    });
    ConfigErrors(errors)
}

impl Runtime {
    /// The runtime of a validated configuration, or every error in what it names;
    /// `previous`'s resolver is kept when `dns:` is unchanged.
    pub fn build(config: Config, previous: Option<&Runtime>) -> Result<Runtime, ConfigErrors> {
        let parts = Parts::build(&config, previous).map_err(ConfigErrors)?;
        Ok(Runtime::assemble(config, parts))
    }

    fn assemble(config: Config, parts: Parts) -> Runtime {
        let Parts {
            relay,
            tls,
            mut checks,
            table,
            auth,
            reputation,
            resolver,
            memory,
        } = parts;
        memory.set_limit(config.limits.max_memory);
        let session = Arc::new(SessionConfig::from_config(
            &config,
            tls.is_some(),
            relay.max_recipients_per_transaction(),
            memory,
        ));
        checks.extend(crate::reputation::checks(reputation.as_ref()));
        checks.extend(crate::malware::from_config(&config.malware));
        Runtime {
            resolver,
            state: crate::store::state::Store::new(&config.state),
            auth,
            reputation,
            config: Arc::new(config),
            session,
            relay,
            tls,
            checks: crate::checks::Checks::new(checks),
            table,
        }
    }
}

/// What a configuration names, built: each step can fail on a file or a setting.
struct Parts {
    relay: Relay,
    tls: Option<tokio_rustls::TlsAcceptor>,
    checks: Vec<Arc<dyn Check>>,
    /// Every finding's stage, score and action: the configuration's table and the rules'.
    table: Arc<Scoring>,
    auth: Option<Arc<crate::auth::Authenticator>>,
    reputation: Option<Arc<crate::reputation::Reputation>>,
    resolver: Option<crate::dns::Resolver>,
    /// The process's one memory budget: `previous`'s on a reload, with the new limit.
    memory: Arc<crate::budget::MemoryBudget>,
}

impl Parts {
    /// Runs every step, even after one failed, so that every error is reported at once.
    fn build(config: &Config, previous: Option<&Runtime>) -> Result<Parts, Vec<ConfigError>> {
        let mut errors = Vec::new();
        memory_fits(config, &mut errors);
        let tls = tls(config, &mut errors);
        console_tls(config, &mut errors);
        let rules = rules(config, &mut errors);
        let resolver = resolver(config, previous, &mut errors);
        let suffixes = suffixes(config, &mut errors);
        let (auth, reputation) = match &resolver {
            Some(r) => (
                crate::auth::Authenticator::new(r, config, suffixes.clone()),
                crate::reputation::Reputation::new(r, &config.dns, &config.reputation, suffixes),
            ),
            None => (None, None),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let table = Arc::new(scoring(config, rules.as_ref()));
        let checks = rules
            .into_iter()
            .map(|r| r.check as Arc<dyn Check>)
            .collect();
        Ok(Parts {
            relay: Relay::new(&config.backend, &config.hostname),
            tls,
            checks,
            table,
            auth,
            reputation,
            resolver,
            memory: memory(config, previous),
        })
    }
}

/// A reload keeps the budget (and what running messages hold of it); `assemble` sets its new
/// limit once nothing can fail any more.
fn memory(config: &Config, previous: Option<&Runtime>) -> Arc<crate::budget::MemoryBudget> {
    match previous {
        Some(p) => p.session.memory.clone(),
        None => crate::budget::MemoryBudget::new(config.limits.max_memory),
    }
}

/// The memory budget must hold at least one message of the largest size, or such a message
/// would be deferred for ever (what a message costs is the budget's business, not the
/// configuration's: `crate::budget::cost`).
fn memory_fits(config: &Config, errors: &mut Vec<ConfigError>) {
    let limits = &config.limits;
    let one = crate::budget::cost(limits.max_message_size);
    if limits.max_memory < one {
        let message = format!(
            "must hold at least one message of limits.max_message_size: {} x {} = {one} bytes",
            crate::budget::MESSAGE_COPIES,
            limits.max_message_size
        );
        errors.push(config.error_at("limits.max_memory", message));
    }
}

/// The public suffix list RHSBL/URIBL and DMARC read (`reputation.public_suffix_list`).
fn suffixes(
    config: &Config,
    errors: &mut Vec<ConfigError>,
) -> Arc<crate::reputation::psl::SuffixList> {
    let for_dmarc =
        config.auth.enabled && config.auth.dmarc_org_domain == crate::config::auth::OrgDomain::Psl;
    crate::reputation::suffixes::load(&config.reputation, for_dmarc).unwrap_or_else(|e| {
        errors.push(config.error_at("reputation.public_suffix_list", e));
        Arc::new(crate::reputation::psl::SuffixList::builtin())
    })
}

/// The STARTTLS acceptor: both files read, parsed, and the key matched to the certificate.
fn tls(config: &Config, errors: &mut Vec<ConfigError>) -> Option<tokio_rustls::TlsAcceptor> {
    let files = config.tls.as_ref()?;
    match crate::inbound::tls::acceptor_checked(files) {
        Ok(acceptor) => Some(acceptor),
        Err(problems) => {
            for p in problems {
                let (key, message) = p.key_and_message();
                errors.push(config.error_at(key, message));
            }
            None
        }
    }
}

/// The web console's TLS files (`console.tls`), checked like STARTTLS's so that a start, a
/// reload and check-config refuse files the console could not serve with.
fn console_tls(config: &Config, errors: &mut Vec<ConfigError>) {
    let Some(files) = config.console.tls.as_ref() else {
        return;
    };
    if let Err(problems) = crate::inbound::tls::acceptor_checked(files) {
        for p in problems {
            let (key, message) = p.key_and_message();
            errors.push(config.error_at(&format!("console.{key}"), message));
        }
    }
}

/// The rules check: every rule file read and compiled (and the classifier loaded).
fn rules(config: &Config, errors: &mut Vec<ConfigError>) -> Option<crate::rules::check::Loaded> {
    match crate::rules::check::from_config(config) {
        Ok(loaded) => loaded,
        Err(e) => {
            errors.extend(e.0.into_iter().map(|e| rule_error(config, e)));
            None
        }
    }
}

/// The runtime's policy table: the configuration's, with the loaded rules' entries.
fn scoring(config: &Config, rules: Option<&crate::rules::check::Loaded>) -> Scoring {
    match rules {
        Some(loaded) => loaded.scoring(config),
        None => Scoring::of_config(config),
    }
}

/// A problem inside a rule file names that file and line; a rule file that cannot be found
/// or read names the configuration's `rules.files` line.
fn rule_error(config: &Config, mut e: RuleError) -> ConfigError {
    // One error, one line: a regex error draws a caret diagram over several lines.
    e.message = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
    match e.line {
        Some(line) => ConfigError {
            file: e.file,
            line: Some(line),
            key: "rules.files".into(),
            message: e.message,
        },
        None => config.error_at("rules.files", format!("{}: {}", e.file, e.message)),
    }
}

/// The one resolver of auth and the DNS lists, built only when something asks DNS (a host
/// without resolv.conf can still run), and `previous`'s kept when `dns:` is unchanged.
fn resolver(
    config: &Config,
    previous: Option<&Runtime>,
    errors: &mut Vec<ConfigError>,
) -> Option<crate::dns::Resolver> {
    if !config.auth.enabled && config.reputation.is_empty() {
        return None;
    }
    let previous = previous.and_then(|p| p.resolver.as_ref());
    crate::dns::Resolver::reuse_or_new(previous, &config.dns)
        .map_err(|e| errors.push(config.error_at("dns.nameservers", e.to_string())))
        .ok()
}

#[cfg(test)]
mod tests;
