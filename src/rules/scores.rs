//! Score files are configuration (`crate::config::scores`); here they meet findings.

pub use crate::config::scores::{MAX_ABS_SCORE, ScoreError, ScoreTable};

use crate::checks::Finding;

impl ScoreTable {
    /// Replaces the score of every finding the table names; others keep theirs.
    pub fn apply(&self, findings: &mut [Finding]) {
        if self.is_empty() {
            return;
        }
        for f in findings {
            if let Some(s) = self.get(&f.id) {
                f.score = s;
            }
        }
    }
}

#[cfg(test)]
mod tests;
