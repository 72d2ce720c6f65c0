//! What each authentication result is worth: finding id → score and optional forced action.
//! The checks only report ids; the table (`crate::config::auth_findings`: built-in defaults,
//! overridden by `auth.policy`) decides, so "SPF fail" can be a score at one site and a
//! rejection at another.

use crate::checks::Finding;
pub use crate::config::auth_findings::{ID_LIST, Rule, defaults};
use std::collections::HashMap;

/// Turns a reported id into a finding with the configured score and action.
pub fn finding(table: &HashMap<&'static str, Rule>, id: &str, reason: String) -> Finding {
    let rule = table.get(id).copied().unwrap_or_default();
    Finding {
        id: id.to_string(),
        score: rule.score,
        reason,
        force: rule.force,
    }
}
