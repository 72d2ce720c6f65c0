//! What `moat learn` does (main.rs only parses): learn from files or IMAP into the model
//! file, or cross-validate with `--evaluate`.

use super::learn::{self, Tally};
use super::model::{Class, Model};
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

pub fn learn(config: &Config, args: LearnArgs) -> ExitCode {
    match run(config, args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("moat learn: {e:#}");
            ExitCode::from(3)
        }
    }
}

fn run(config: &Config, args: LearnArgs) -> anyhow::Result<ExitCode> {
    let spam = learn::message_files(&args.spam)?;
    let ham = learn::message_files(&args.ham)?;
    if args.evaluate {
        return evaluate(config, &spam, &ham, args.folds);
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
        report(class, &tally);
    }
    if let Some(imap) = &args.imap {
        let (tally, class) = super::imap::learn(&mut model, imap)?;
        report(class, &tally);
    }
    target.save(&model)?;
    summary(&target.describe(), &model, config);
    Ok(if errors > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(class: Class, t: &Tally) {
    println!(
        "{class:?}: {} learned, {} already known, {} moved from the other class",
        t.new, t.known, t.moved
    );
}

fn summary(model: &str, m: &Model, config: &Config) {
    println!(
        "model {}: {} spam, {} ham, {} tokens",
        model,
        m.nspam,
        m.nham,
        m.tokens.len()
    );
    if !super::Classifier::trained(m, &config.bayes) {
        println!(
            "the classifier stays off until it has learned {} spam and {} ham (bayes.min_spam, bayes.min_ham)",
            config.bayes.min_spam, config.bayes.min_ham
        );
    }
}

fn evaluate(
    config: &Config,
    spam: &[PathBuf],
    ham: &[PathBuf],
    folds: usize,
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
        "{folds}-fold cross-validation over {} spam and {} ham",
        spam.len(),
        ham.len()
    );
    let t = &config.policy.thresholds;
    let ev = learn::evaluate(spam, ham, folds, rules.as_ref(), &config.bayes, t);
    println!("{}", ev.bayes.line("bayes"));
    if rules.is_some() {
        println!("{}", ev.rules.line("rules"));
        println!("{}", ev.combined.line("rules+bayes"));
    }
    println!(
        "(flagged = any action but accept at score {})",
        t.required()
    );
    Ok(ExitCode::SUCCESS)
}
