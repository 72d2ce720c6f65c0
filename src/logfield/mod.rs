//! Log field values an operator reads: an optional value is logged as itself, never through
//! `Debug` (`address=Some(127.0.0.1:2525)`), which also quotes and escapes differently in
//! text and JSON logs. A `?` on an `Option` in a `tracing` field is the mistake this avoids.

use std::fmt::Display;

/// The value, or `unknown` when there is none.
pub fn or_unknown<T: Display>(value: Option<T>) -> String {
    value.map_or_else(|| "unknown".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests;
