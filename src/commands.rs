//! What the `scan`, `rules test` and `quarantine` subcommands do (main.rs only parses).

use crate::cli_out;
use crate::config::Config;
use crate::quarantine::{Store, print};
use crate::rules::{check, examples};
use crate::runtime::Runtime;
use crate::terminal::field;
use crate::verdict::Action;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status of `moat scan` for one file: 0 accept, 1 marked or quarantined, 2 tempfail
/// or reject; 3 when a file could not be read or the configuration failed.
pub fn scan(config: Config, files: &[PathBuf], opts: crate::scan::Options) -> ExitCode {
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
        let (last, errors) = tokio.block_on(crate::scan::run(&rt, files, &opts, out))?;
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
    Release(String),
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
        QuarantineCmd::Release(id) => {
            let tokio = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match tokio.block_on(crate::release::release(config, &id)) {
                Ok(to) => writeln!(out, "released {id} to {}", field(&to.join(", "))).map(Ok)?,
                Err(e) => Err(e.to_string()),
            }
        }
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
