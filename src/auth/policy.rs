//! What each authentication result is worth: finding id → score and optional forced action.
//! The checks only report ids (`Results::findings` gives facts); this table
//! (`crate::config::auth_findings`: built-in defaults, overridden by `auth.policy`) feeds the
//! one policy table (`verdict::table`) that decides, so "SPF fail" can be a score at one site
//! and a rejection at another.

pub use crate::config::auth_findings::{ID_LIST, Rule, defaults};
