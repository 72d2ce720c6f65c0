//! A rule's own regex, compiled the first time the target's set nominates it.
//!
//! Every text rule's pattern is compiled into its target's `RegexSet`, which decides which
//! rules can match; the rule's own regex only confirms a candidate and finds the text to
//! quote. Most rules are never candidates on most mail, and compiling all of them up front
//! was 40 % of loading the default pack — paid again by every `moat scan` and every reload.
//! The pattern is parsed when the rule is loaded, so syntax errors still name the file and
//! line; the size limit is the set's, so a pattern the set compiled compiles here too.

use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// The NFA size limit of a rule's regex and of its target's set.
pub const SIZE_LIMIT: usize = 64 << 20;

#[derive(Debug)]
pub struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// Checks the syntax now (the error text is the regex crate's); compiles later.
    pub fn new(pattern: String) -> Result<LazyRegex, String> {
        regex_syntax::Parser::new()
            .parse(&pattern)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            pattern,
            compiled: OnceLock::new(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex; `None` only if it exceeds the size limit, which the set (built
    /// from the same pattern at load time, with the same limit) rules out.
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .inspect_err(|e| tracing::error!(pattern = %self.pattern, error = %e, "rule regex does not compile"))
                    .ok()
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests;
