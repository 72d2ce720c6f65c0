//! The doors besides SMTP (issue 20), with real clients: `rspamc` and curl against the
//! rspamd-compatible scan API, a real Postfix (its own configuration directory and queue in
//! a temporary directory, on loopback) with `smtpd_milters` pointing at Moat's milter, and a
//! parity test that the milter, the scan API, `moat scan` and `moat serve` give the same
//! verdict for the same message and envelope.

mod common;

#[path = "doors/env.rs"]
mod env;

#[path = "doors/scan_api.rs"]
mod scan_api;

#[path = "doors/postfix.rs"]
mod postfix;

#[path = "doors/milter.rs"]
mod milter;

#[path = "doors/parity.rs"]
mod parity;
