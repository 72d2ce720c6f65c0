//! Moat: an SMTP security gateway. It accepts mail as the MX, judges each connection and
//! message, and relays in-line to the real mail server only what passes.
#![forbid(unsafe_code)]
// Commands write through `cli_out`; `println!` panics on a closed pipe.
#![cfg_attr(not(test), deny(clippy::print_stdout))]

pub mod address;
pub mod admin;
pub mod auth;
pub mod bayes;
pub mod budget;
pub mod checks;
pub mod cli_out;
pub mod clock;
pub mod commands;
pub mod config;
// The web console (issue 21).
pub mod conn;
pub mod console;
pub mod daemon;
pub mod deliver;
pub mod dns;
pub mod doors;
pub mod fit;
#[cfg(test)]
mod future_sizes;
pub mod fuzzing;
pub mod headers;
pub mod health;
pub mod http_head;
pub mod judge;
#[cfg(test)]
mod layering;
pub mod listener;
pub mod logfield;
pub mod mailstore;
pub mod malware;
pub mod metrics;
pub mod milter;
pub mod pace;
pub mod prepare;
pub mod proxy;
pub mod quarantine;
pub mod relay;
pub mod release;
pub mod reputation;
pub mod rules;
pub mod runtime;
pub mod scan;
pub mod scan_api;
pub mod server;
pub mod slots;
pub mod smtp;
pub mod spam_headers;
pub mod state;
pub mod stream;
pub mod terminal;
pub mod tls;
pub mod verdict;
