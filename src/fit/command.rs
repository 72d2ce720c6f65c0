//! What `moat rules fit` does (main.rs only parses): judge the labelled mail, then either
//! cross-validate (`--evaluate`) or fit on all of it and write the score file, whose
//! comments are the report (hits in spam and ham, old and new score of every finding).

use super::samples::{self, Corpus};
use super::{Catalog, Options};
use crate::config::Config;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// `moat rules fit`'s arguments (besides `--config`), parsed by clap in main.rs.
#[derive(clap::Args, Debug)]
pub struct FitArgs {
    #[arg(long, num_args = 1.., required = true)]
    pub spam: Vec<PathBuf>,
    #[arg(long, num_args = 1.., required = true)]
    pub ham: Vec<PathBuf>,
    /// Score file to write (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// k-fold cross-validation with the fit inside each fold: spam caught and ham
    /// flagged (per folder) before and after; writes nothing.
    #[arg(long)]
    pub evaluate: bool,
    /// With --evaluate: list every ham flagged and every spam missed after the fit,
    /// with its score and findings.
    #[arg(long, requires = "evaluate")]
    pub mistakes: bool,
    #[arg(long, default_value_t = Options::default().folds)]
    folds: usize,
    /// Fit the classifier's bands (BAYES_xx) too, from classifiers trained on the same
    /// mail (always on when bayes.model or Redis storage is configured).
    #[arg(long)]
    bayes: bool,
    // The defaults are `Options::default()`'s: what the default pack was fitted with.
    /// Largest score of spam evidence (ham evidence stays above -cap/2).
    #[arg(long, default_value_t = Options::default().cap)]
    cap: f64,
    /// Pull of each score towards its hand score.
    #[arg(long, default_value_t = Options::default().l2)]
    l2: f64,
    /// Weight of all ham relative to all spam.
    #[arg(long, default_value_t = Options::default().ham_cost)]
    ham_cost: f64,
    /// What each score is drawn towards: zero (a score is earned from the mail; findings
    /// the mail never shows keep their hand score) or hand (the rule files' scores).
    #[arg(long, value_parser = ["zero", "hand"], default_value = "zero")]
    prior: String,
    /// Most that the findings of rules marked `bulk: true` (traits legitimate
    /// newsletters share with spam) may add together.
    #[arg(long, default_value_t = Options::default().bulk_cap)]
    bulk_cap: f64,
    /// Largest score, either way, of a classifier band between 0.2 and 0.8.
    #[arg(long, default_value_t = Options::default().unsure_cap)]
    unsure_cap: f64,
}

impl FitArgs {
    /// The fit's settings these arguments give.
    pub fn options(&self) -> Options {
        Options {
            folds: self.folds,
            cap: self.cap,
            l2: self.l2,
            ham_cost: self.ham_cost,
            bands: self.bayes,
            prior_zero: self.prior == "zero",
            bulk_cap: self.bulk_cap,
            unsure_cap: self.unsure_cap,
        }
    }
}

pub fn fit(config: &Config, args: &FitArgs) -> ExitCode {
    match run(config, args) {
        // Written at the end through `cli_out`: quiet when the reader closes the pipe.
        Ok((text, code)) => crate::cli::cli_out::run("rules fit", 3, |out| {
            out.write_all(text.as_bytes())?;
            Ok(code)
        }),
        Err(e) => {
            eprintln!("moat rules fit: {e:#}");
            ExitCode::from(3)
        }
    }
}

/// The text for standard output and the exit status.
fn run(config: &Config, args: &FitArgs) -> anyhow::Result<(String, ExitCode)> {
    if args.spam.is_empty() || args.ham.is_empty() {
        anyhow::bail!("fitting needs both --spam and --ham messages");
    }
    let mut opts = args.options();
    // The classifier's bands are fitted whenever the configuration uses the classifier.
    opts.bands |= config.bayes.model.is_some() || config.bayes.redis.is_some();
    let rt = samples::runtime(config)?;
    let rules = match config.policy.rule_files.is_empty() {
        true => None,
        false => Some(crate::rules::check::load_for(
            &config.policy.rule_files,
            opts.bands,
        )?),
    };
    let corpus = samples::collect(&rt, &args.spam, &args.ham, opts.bands)?;
    let (nspam, nham) = counts(&corpus);
    if nspam == 0 || nham == 0 {
        anyhow::bail!("no readable spam or no readable ham under the given paths");
    }
    eprintln!("judged {nspam} spam and {nham} ham");
    let mut text = String::new();
    if args.evaluate {
        let ev = super::evaluate::run(&corpus, rules.as_ref(), config, &opts);
        if args.mistakes {
            for m in &ev.mistakes {
                let _ = writeln!(text, "{m}");
            }
        }
        let thresholds = &config.policy.thresholds;
        text.push_str(&super::evaluate::report(&ev, &corpus, thresholds));
    } else {
        let bands = if opts.bands {
            super::bands::cross_fitted(&corpus, opts.folds.max(2), None, &config.bayes)
        } else {
            Vec::new()
        };
        let catalog = Catalog::build(&corpus, &bands, rules.as_ref(), config);
        let t = &config.policy.thresholds;
        let fitted = catalog.fit(&corpus, &bands, &|_| true, t, &opts);
        let file = render(&catalog, &fitted, &opts, nspam, nham);
        match &args.out {
            Some(path) => {
                write_atomically(path, &file)?;
                text.push_str(&report(&catalog, &fitted));
                let _ = writeln!(text, "scores written to {}", path.display());
            }
            None => text = file,
        }
    }
    let code = if corpus.unreadable > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    };
    Ok((text, code))
}

fn counts(corpus: &Corpus) -> (usize, usize) {
    let spam = corpus.samples.iter().filter(|s| s.spam).count();
    (spam, corpus.samples.len() - spam)
}

/// The score file: one line per fitted finding, its report as a comment.
pub fn render(
    catalog: &Catalog,
    fitted: &[f64],
    opts: &Options,
    nspam: usize,
    nham: usize,
) -> String {
    let mut out = format!(
        "# Scores fitted by `moat rules fit` from {nspam} spam and {nham} ham\n\
         # (logistic regression, cap {}, l2 {} towards {}, ham cost {}). Per finding: messages\n\
         # it fired on in spam and ham, and the score before the fit.\n\
         scores:\n",
        opts.cap,
        opts.l2,
        if opts.prior_zero {
            "zero"
        } else {
            "the hand scores"
        },
        opts.ham_cost
    );
    for (f, new) in sorted(catalog, fitted) {
        let new = new + 0.0; // never "-0"
        let _ = writeln!(
            out,
            "  {}: {new}  # spam {} ham {} was {}",
            f.id, f.hits_spam, f.hits_ham, f.old
        );
    }
    out
}

/// The report on standard output when the file goes elsewhere.
pub fn report(catalog: &Catalog, fitted: &[f64]) -> String {
    let mut out = format!(
        "{:<28} {:>6} {:>6} {:>7} {:>7}\n",
        "finding", "spam", "ham", "old", "new"
    );
    for (f, new) in sorted(catalog, fitted) {
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>6} {:>7.2} {:>7.2}",
            f.id, f.hits_spam, f.hits_ham, f.old, new
        );
    }
    out
}

/// Fitted (not forced) findings, by id.
fn sorted<'a>(catalog: &'a Catalog, fitted: &[f64]) -> Vec<(&'a super::Feature, f64)> {
    let mut list: Vec<_> = catalog
        .features
        .iter()
        .zip(fitted.iter().copied())
        .filter(|(f, _)| !f.fixed)
        .collect();
    list.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    list
}

/// Written beside the target and renamed: a watching Moat never reads half a file.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
