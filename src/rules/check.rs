//! The rules engine as a `Check`, and loading the configured rule files.

use super::{RuleError, RuleErrors, RuleSet, Source};
use crate::checks::{Check, CheckFuture, Finding, MessageContext};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct RulesCheck {
    pub rules: Arc<RuleSet>,
    /// The statistical classifier; it reads the same parsed message as the rules. Shared
    /// with the runtime's policy table, which picks the rules' scores by whether a model is
    /// loaded (`crate::verdict::table`).
    pub bayes: Arc<crate::bayes::shared::Handle>,
}

impl Check for RulesCheck {
    fn name(&self) -> &'static str {
        "rules"
    }

    /// Which rules fired and the classifier's band, as facts: their scores and forced
    /// actions are the policy table's (`crate::verdict::table`).
    fn check<'a>(&'a self, m: &'a MessageContext) -> CheckFuture<'a> {
        Box::pin(async move {
            let (rules, load, bayes) = (self.rules.clone(), m.facts_loader(), self.bayes.get());
            let judge = move || {
                let facts = load();
                let mut findings = rules.evaluate(&facts);
                findings.extend(bayes.map(|b| b.findings(&facts)).unwrap_or_default());
                findings
                    .into_iter()
                    .map(|f| Finding::fact(f.id, f.reason))
                    .collect::<Vec<Finding>>()
            };
            // Decoding and matching a large message is CPU work (`checks::cpu_work`).
            crate::checks::cpu_work(m.body.len(), judge).await
        })
    }
}

/// The rules of a configuration, loaded: the check, and what the policy table needs of them.
pub struct Loaded {
    pub check: Arc<RulesCheck>,
    /// The default pack's scores fitted for the rules alone, when the pack runs with the
    /// scores fitted beside a configured classifier: in force while no model is loaded
    /// (configured but not trained yet, damaged, or not yet in Redis), when the rules carry
    /// the verdict alone.
    pub pack_alone: Option<super::scores::ScoreTable>,
}

impl Loaded {
    /// The runtime's policy table: the configuration's, with these rules' entries.
    pub fn scoring(&self, config: &crate::config::Config) -> crate::verdict::table::Scoring {
        crate::verdict::table::Scoring::build(
            config,
            &self.check.rules,
            self.pack_alone.as_ref(),
            Some(self.check.bayes.clone()),
        )
    }
}

/// The rules check for a configuration (none when no rule files are configured).
pub fn from_config(config: &crate::config::Config) -> Result<Option<Loaded>, RuleErrors> {
    let bayes = crate::bayes::shared::handle(config);
    if config.policy.rule_files.is_empty() && bayes.is_off() {
        return Ok(None);
    }
    let with_classifier = config.bayes.configured();
    let rules = Arc::new(load_for(&config.policy.rule_files, with_classifier)?);
    tracing::debug!(rules = rules.len(), "rules compiled");
    crate::metrics::rules_configured(rules.rules().iter().map(|r| r.id.as_str()));
    let uses_pack = config
        .policy
        .rule_files
        .iter()
        .any(|f| f.as_os_str() == super::builtin::NAME);
    let pack_alone = (with_classifier && uses_pack).then(|| super::builtin::scores(false));
    let check = Arc::new(RulesCheck {
        rules,
        bayes: Arc::new(bayes),
    });
    Ok(Some(Loaded { check, pack_alone }))
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Expands the configured rule paths: `builtin:default` is the pack compiled into the
/// binary; a path whose file name contains `*` is a glob over that directory (the `glob`
/// crate's syntax: `*`, `?`, `[abc]`, `[!abc]`; only the file name is a pattern); a directory
/// means every `*.yaml` in it. Sorted, so rule order does not depend on the file system.
pub fn expand(patterns: &[PathBuf]) -> Result<Vec<PathBuf>, RuleError> {
    let mut out = Vec::new();
    for p in patterns {
        if p.as_os_str() == super::builtin::NAME {
            out.push(p.clone());
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() || name.contains('*') {
            let (dir, pattern) = if p.is_dir() {
                (p.as_path(), "*.yaml")
            } else {
                (p.parent().unwrap_or(Path::new(".")), name)
            };
            let pattern = glob::Pattern::new(pattern).map_err(|e| RuleError {
                file: p.display().to_string(),
                line: None,
                message: format!("not a valid glob: {e}"),
            })?;
            let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| pattern.matches(n))
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Reads and compiles the configured rule files; all or nothing. The default pack gets its
/// scores fitted for the rules alone.
pub fn load(patterns: &[PathBuf]) -> Result<RuleSet, RuleErrors> {
    load_for(patterns, false)
}

/// As `load`; the default pack gets the scores fitted for a configuration with (or without)
/// the classifier.
pub fn load_for(patterns: &[PathBuf], with_classifier: bool) -> Result<RuleSet, RuleErrors> {
    let files = expand(patterns).map_err(|e| RuleErrors(vec![e]))?;
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut builtin = false;
    for f in files {
        if f.as_os_str() == super::builtin::NAME {
            sources.extend(super::builtin::sources());
            builtin = true;
            continue;
        }
        match std::fs::read_to_string(&f) {
            Ok(text) => sources.push(Source {
                origin: f.display().to_string(),
                text,
            }),
            Err(e) => errors.push(io_error(&f, e)),
        }
    }
    // The files that could be read are compiled even when others could not, so that their
    // errors are reported in the same run.
    match RuleSet::compile(sources) {
        Ok(mut set) if errors.is_empty() => {
            if builtin {
                // The pack's fitted scores; band ids in the file are the classifier's, not rules.
                set.set_scores(&super::builtin::scores(with_classifier));
            }
            Ok(set)
        }
        Ok(_) => Err(RuleErrors(errors)),
        Err(more) => {
            errors.extend(more.0);
            Err(RuleErrors(errors))
        }
    }
}

fn io_error(path: &Path, e: std::io::Error) -> RuleError {
    RuleError {
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    }
}

#[cfg(test)]
mod tests;
