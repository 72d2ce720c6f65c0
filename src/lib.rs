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
pub mod clock;
pub mod config;
// The web console (issue 21).
pub mod console;
pub mod daemon;
pub mod dns;
pub mod doors;
pub mod fit;
pub mod fuzzing;
pub mod http_head;
pub mod logfield;
pub mod malware;
pub mod metrics;
pub mod relay;
pub mod reputation;
pub mod rules;
pub mod runtime;
pub mod smtp;
pub mod verdict;

pub mod cli;
pub mod inbound;
pub mod message;
pub mod store;
#[cfg(test)]
mod tests;
