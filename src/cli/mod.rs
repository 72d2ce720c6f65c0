//! The offline commands behind `main.rs`'s parser: scan, rules test, quarantine, health,
//! and the safe terminal output they share.

pub mod cli_out;
pub mod commands;
pub mod health;
pub mod scan;
pub mod terminal;
