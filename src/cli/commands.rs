//! What the `scan`, `rules test` and `quarantine` subcommands do (main.rs only parses).

use crate::cli::cli_out;
use crate::cli::terminal::field;
use crate::config::Config;
use crate::rules::{check, examples};
use crate::runtime::Runtime;
use crate::store::quarantine::{Store, print};
use crate::verdict::Action;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status of `moat scan` for one file: 0 accept, 1 marked or quarantined, 2 tempfail
/// or reject; 3 when a file could not be read or the configuration failed.
pub fn scan(config: Config, files: &[PathBuf], opts: crate::cli::scan::Options) -> ExitCode {
    let rt = match Runtime::new(config) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moat scan: {e}");
            return ExitCode::from(3);
        }
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    cli_out::run("scan", 3, |out| {
        let (last, errors) = tokio.block_on(crate::cli::scan::run(&rt, files, &opts, out))?;
        Ok(exit_status(files, last, errors))
    })
}

fn exit_status(files: &[PathBuf], last: Option<Action>, errors: usize) -> ExitCode {
    if errors > 0 {
        return ExitCode::from(3);
    }
    match (files.len() == 1 && !files[0].is_dir(), last) {
        (true, Some(Action::Accept)) | (false, _) | (true, None) => ExitCode::SUCCESS,
        (true, Some(Action::Reject | Action::Tempfail)) => ExitCode::from(2),
        (true, Some(_)) => ExitCode::from(1),
    }
}

/// `moat rules test`: compiles the rule files (the given ones, else the configured ones)
/// and runs every example.
pub fn rules_test(config: &Config, files: &[PathBuf]) -> ExitCode {
    cli_out::run("rules test", 1, |out| rules_test_to(config, files, out))
}

fn rules_test_to(config: &Config, files: &[PathBuf], out: &mut dyn Write) -> io::Result<ExitCode> {
    let patterns = if files.is_empty() {
        config.policy.rule_files.clone()
    } else {
        files.to_vec()
    };
    let set = match check::load(&patterns) {
        Ok(s) => s,
        Err(e) => {
            for err in &e.0 {
                eprintln!("{err}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let (count, failures) = examples::run(&set);
    for f in &failures {
        writeln!(out, "FAIL {f}")?;
    }
    writeln!(
        out,
        "{} rules, {count} examples, {} failed",
        set.len(),
        failures.len()
    )?;
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub enum QuarantineCmd {
    List,
    /// `raw`: the message's bytes as stored, instead of the escaped view.
    Show {
        id: String,
        raw: bool,
    },
    /// `learn_ham`: also learn the released message as ham into the configured model.
    Release {
        id: String,
        learn_ham: bool,
    },
    Delete(String),
}

pub fn quarantine(config: &Config, cmd: QuarantineCmd) -> ExitCode {
    cli_out::run("quarantine", 1, |out| quarantine_to(config, cmd, out))
}

fn quarantine_to(config: &Config, cmd: QuarantineCmd, out: &mut dyn Write) -> io::Result<ExitCode> {
    let store = Store::new(&config.policy.quarantine);
    let result: Result<(), String> = match cmd {
        QuarantineCmd::List => {
            let listing = store.list();
            print::list(out, &listing.entries)?;
            out.flush()?;
            // Diagnostics only: a closed stderr must not hide the listing's success. The
            // directory is named so an empty list from the wrong store is never silent.
            let mut err = io::stderr().lock();
            let _ = print::directory(&mut err, &config.policy.quarantine.path, &listing);
            let _ = print::skipped(&mut err, &listing);
            Ok(())
        }
        QuarantineCmd::Show { id, raw } => match store.show(&id) {
            Ok((_, body)) if raw => print::show_raw(out, &body).map(Ok)?,
            Ok((m, body)) => print::show(out, &id, &m, &body).map(Ok)?,
            Err(e) => Err(e.to_string()),
        },
        QuarantineCmd::Delete(id) => match store.delete(&id) {
            Ok(()) => writeln!(out, "deleted {id}").map(Ok)?,
            Err(e) => Err(e.to_string()),
        },
        QuarantineCmd::Release { id, learn_ham } => release(config, &id, learn_ham, out)?,
    };
    Ok(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The text can carry a user-given id or a backend's reply.
            let _ = writeln!(io::stderr(), "moat quarantine: {}", field(&e));
            ExitCode::FAILURE
        }
    })
}

/// `moat quarantine release ID [--learn-ham]`. `--learn-ham` without a classifier is refused
/// before anything is sent; learning happens only once the backend has the message, so a
/// failed release teaches nothing.
fn release(
    config: &Config,
    id: &str,
    learn_ham: bool,
    out: &mut dyn Write,
) -> io::Result<Result<(), String>> {
    if learn_ham && !config.bayes.configured() {
        return Ok(Err(format!(
            "--learn-ham needs a classifier (bayes.model or bayes.storage: redis in {}); nothing released",
            config.origin
        )));
    }
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let released = match tokio.block_on(crate::store::release::release(config, id)) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.to_string())),
    };
    // Dropped before learning: a Redis model target runs its own runtime.
    drop(tokio);
    writeln!(out, "released {id} to {}", field(&released.to.join(", ")))?;
    if learn_ham {
        match crate::bayes::command::learn_one_ham(config, &released.message) {
            Ok(line) => writeln!(out, "{line}")?,
            Err(e) => return Ok(Err(format!("released, but not learned as ham: {e:#}"))),
        }
    }
    Ok(Ok(()))
}
