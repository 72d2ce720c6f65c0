//! `moat console passwd` and `moat console link`.

use crate::config::Config;
use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

/// Reads the password from stdin's first line and prints the accounts-file line.
pub fn passwd(name: &str) -> ExitCode {
    let mut password = String::new();
    if std::io::stdin().lock().read_line(&mut password).is_err() {
        eprintln!("moat console passwd: cannot read the password from stdin");
        return ExitCode::from(2);
    }
    let password = password.trim_end_matches(['\r', '\n']);
    match super::passwd_line(name, password) {
        Ok(line) => crate::cli::cli_out::run("console passwd", 1, |out| {
            writeln!(out, "{line}")?;
            Ok(ExitCode::SUCCESS)
        }),
        Err(need) => {
            eprintln!("moat console passwd: needs {need}");
            ExitCode::from(2)
        }
    }
}

/// Prints `console.url/r/TOKEN` for `id` and `recipient`, signed with console.secret_file.
pub fn link(config: &Config, id: &str, recipient: &str, valid: Option<Duration>) -> ExitCode {
    let c = &config.console;
    let Some(path) = &c.secret_file else {
        eprintln!(
            "moat console link: console.secret_file is not configured (links signed by a random secret die with the process)"
        );
        return ExitCode::from(2);
    };
    let secret = match std::fs::read(path) {
        Ok(s) if s.len() >= 32 => s,
        Ok(_) => {
            eprintln!(
                "moat console link: {}: needs at least 32 bytes",
                path.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("moat console link: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    if !crate::store::quarantine::valid_id(id) {
        eprintln!("moat console link: `{id}` is not a quarantine id");
        return ExitCode::from(2);
    }
    let now = crate::rules::check::now_unix() as u64;
    let expires = now + valid.unwrap_or(c.link_lifetime).as_secs();
    let token = super::links::Signer::new(&secret).sign(id, &recipient.to_lowercase(), expires);
    crate::cli::cli_out::run("console link", 1, |out| {
        writeln!(out, "{}/r/{token}", c.url)?;
        Ok(ExitCode::SUCCESS)
    })
}
