//! How `moat`'s commands write to stdout.
//!
//! `println!` panics when the reader has gone away: `moat quarantine show ID | head` ended
//! with a panic message and exit status 101 once `head` had its ten lines. Rust ignores
//! SIGPIPE (restoring the default needs unsafe code), so a closed pipe is an `EPIPE` error on
//! the next write. Every command therefore writes through a `&mut dyn Write` and passes write
//! errors up with `?`; [`run`] turns a broken pipe into a quiet exit 0 (the reader took what it
//! wanted) and any other write error into a message on stderr. The library and the binary
//! deny `clippy::print_stdout`, so a new `println!` cannot bring the panic back.

use std::io::{self, Write};
use std::process::ExitCode;

/// Runs `body` with the locked stdout; its `Ok` is the exit status. `error` is the status for
/// a write error other than a broken pipe (the command's "error" status).
pub fn run(
    command: &str,
    error: u8,
    body: impl FnOnce(&mut dyn Write) -> io::Result<ExitCode>,
) -> ExitCode {
    let mut out = io::stdout().lock();
    let result = body(&mut out).and_then(|code| out.flush().map(|()| code));
    finish(command, error, result)
}

/// The exit status for what a command's writes returned.
pub fn finish(command: &str, error: u8, result: io::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // stderr may be gone too: nothing more to do then.
            let _ = writeln!(io::stderr(), "moat {command}: cannot write the output: {e}");
            ExitCode::from(error)
        }
    }
}

#[cfg(test)]
mod tests;
