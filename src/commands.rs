//! What the `scan`, `rules test` and `quarantine` subcommands do (main.rs only parses).

use crate::config::Config;
use crate::quarantine::{State, Store};
use crate::rules::{check, examples};
use crate::server::Runtime;
use crate::verdict::Action;
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
    let (last, errors) = tokio.block_on(crate::scan::run(&rt, files, &opts));
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
            return ExitCode::FAILURE;
        }
    };
    let (count, failures) = examples::run(&set);
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{} rules, {count} examples, {} failed",
        set.len(),
        failures.len()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub enum QuarantineCmd {
    List,
    Show(String),
    Release(String),
    Delete(String),
}

pub fn quarantine(config: &Config, cmd: QuarantineCmd) -> ExitCode {
    let store = Store::new(&config.policy.quarantine);
    let result: Result<(), String> = match cmd {
        QuarantineCmd::List => store.list().map_err(|e| e.to_string()).map(|list| {
            for (m, state, size) in list {
                let state = if state == State::Releasing { " RELEASE-INTERRUPTED" } else { "" };
                println!(
                    "{}\t{}\tscore={:.1}\t{}\t{} -> {}\t{} bytes\t{}{}",
                    m.id, m.time, m.score, m.tests, m.mail_from, m.rcpt_to.join(","), size, m.subject, state
                );
            }
        }),
        QuarantineCmd::Show(id) => store.show(&id).map_err(|e| e.to_string()).map(|(m, body)| {
            println!("id: {}\nreference: {}\nclient: {} ({})\nfrom: {}\nto: {}\nscore: {:.1}\ntests: {}\n", m.id, m.reference, m.client_ip, m.helo, m.mail_from, m.rcpt_to.join(", "), m.score, m.tests);
            print!("{}", String::from_utf8_lossy(&body));
        }),
        QuarantineCmd::Delete(id) => store.delete(&id).map_err(|e| e.to_string()).map(|_| println!("deleted {id}")),
        QuarantineCmd::Release(id) => {
            let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
            tokio
                .block_on(crate::release::release(config, &id))
                .map_err(|e| e.to_string())
                .map(|to| println!("released {id} to {}", to.join(", ")))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moat quarantine: {e}");
            ExitCode::FAILURE
        }
    }
}
