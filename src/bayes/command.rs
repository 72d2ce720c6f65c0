//! What `moat learn` does (main.rs only parses): learn from files or IMAP into the model
//! file, or cross-validate with `--evaluate`.

use super::learn::{self, Tally};
use super::model::{Class, Model};
use crate::cli::cli_out;
use crate::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

pub struct LearnArgs {
    pub model: Option<PathBuf>,
    pub spam: Vec<PathBuf>,
    pub ham: Vec<PathBuf>,
    pub evaluate: bool,
    pub folds: usize,
    pub imap: Option<super::imap::ImapArgs>,
}

/// The report goes to stdout only once the work is done (the model saved), so that a reader
/// that goes away early (`moat learn … | head -1`) cannot stop it half-way; a closed pipe is
/// then a quiet exit (`cli_out`).
pub fn learn(config: &Config, args: LearnArgs) -> ExitCode {
    let mut report = Vec::new();
    let code = match run(config, args, &mut report) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("moat learn: {e:#}");
            ExitCode::from(3)
        }
    };
    cli_out::run("learn", 3, |out| {
        for line in &report {
            writeln!(out, "{line}")?;
        }
        Ok(code)
    })
}

fn run(config: &Config, args: LearnArgs, out: &mut Vec<String>) -> anyhow::Result<ExitCode> {
    let spam = learn::message_files(&args.spam)?;
    let ham = learn::message_files(&args.ham)?;
    if args.evaluate {
        return evaluate(config, &spam, &ham, args.folds, out);
    }
    let mut target = super::shared::Target::for_learn(config, args.model)?;
    if spam.is_empty() && ham.is_empty() && args.imap.is_none() {
        anyhow::bail!("nothing to learn: give --spam/--ham paths or --imap");
    }
    let mut model = target.open()?;
    let mut errors = 0;
    for (files, class) in [(&spam, Class::Spam), (&ham, Class::Ham)] {
        if files.is_empty() {
            continue;
        }
        let (tally, e) = learn::learn_files(&mut model, files, class);
        errors += e;
        out.push(report(class, &tally));
    }
    if let Some(imap) = &args.imap {
        let (tally, class) = super::imap::learn(&mut model, imap)?;
        out.push(report(class, &tally));
    }
    if let Some(v) = target.save(&model)? {
        out.push(format!("published version {v} to Redis"));
    }
    summary(&target.describe(), &model, config, out);
    if let Some(hint) = target.unused_by(config) {
        out.push(hint);
    }
    Ok(if errors > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `moat quarantine release --learn-ham`: one released message learned as ham into the
/// configured model (file or Redis), the line to print returned.
pub fn learn_one_ham(config: &Config, raw: &[u8]) -> anyhow::Result<String> {
    let mut target = super::shared::Target::for_learn(config, None)?;
    let mut model = target.open()?;
    let mut tally = Tally::default();
    tally.add(learn::learn_one(&mut model, raw, Class::Ham));
    target.save(&model)?;
    Ok(format!(
        "learned as ham into {}: {}",
        target.describe(),
        report(Class::Ham, &tally)
    ))
}

fn report(class: Class, t: &Tally) -> String {
    format!(
        "{class:?}: {} learned, {} already known, {} moved from the other class",
        t.new, t.known, t.moved
    )
}

fn summary(model: &str, m: &Model, config: &Config, out: &mut Vec<String>) {
    out.push(format!(
        "model {}: {} spam, {} ham, {} tokens",
        model,
        m.nspam,
        m.nham,
        m.tokens.len()
    ));
    if !super::Classifier::trained(m, &config.bayes) {
        out.push(format!(
            "the classifier stays off until it has learned {} spam and {} ham (bayes.min_spam, bayes.min_ham)",
            config.bayes.min_spam, config.bayes.min_ham
        ));
    }
}

fn evaluate(
    config: &Config,
    spam: &[PathBuf],
    ham: &[PathBuf],
    folds: usize,
    out: &mut Vec<String>,
) -> anyhow::Result<ExitCode> {
    if spam.is_empty() || ham.is_empty() {
        anyhow::bail!("--evaluate needs both --spam and --ham messages");
    }
    let rules = if config.policy.rule_files.is_empty() {
        None
    } else {
        Some(crate::rules::check::load_for(
            &config.policy.rule_files,
            true,
        )?)
    };
    eprintln!(
        "{folds}-fold cross-validation over {} spam and {} ham files",
        spam.len(),
        ham.len()
    );
    let t = &config.policy.thresholds;
    let ev = learn::evaluate(spam, ham, folds, rules.as_ref(), &config.bayes, t);
    out.push(ev.bayes.line("bayes"));
    if rules.is_some() {
        out.push(ev.rules.line("rules"));
        out.push(ev.combined.line("rules+bayes"));
    }
    out.push(format!(
        "(flagged = any action but accept at score {})",
        t.required()
    ));
    Ok(ExitCode::SUCCESS)
}
