//! Rule files as written: serde types, and reading a file with errors that name file and line.

use super::RuleError;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub rules: Vec<RawRule>,
}

/// One rule. Exactly one condition (`regex`, `words`, `exists`, `cidr`, `above`/`below`) goes
/// with a `target`; a meta rule has `meta` and no target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub description: String,
    pub target: Option<String>,
    pub regex: Option<String>,
    /// Regex flags: `i` case-insensitive, `m` multi-line, `s` dot matches newline, `x` verbose.
    pub flags: Option<String>,
    pub words: Option<Vec<String>>,
    pub exists: Option<bool>,
    pub cidr: Option<Vec<String>>,
    pub above: Option<f64>,
    pub below: Option<f64>,
    pub meta: Option<String>,
    pub score: f64,
    /// A hard result: forces this action whatever the total score (e.g. GTUBE → reject).
    pub force: Option<String>,
    /// A trait legitimate bulk mail (newsletters, receipts, offers) shares with spam: HTML
    /// only, remote images, "click here", prices. `moat rules fit` caps what all such
    /// findings together may add (`--bulk-cap`), so mail of a kind the labelled ham never
    /// showed is not marked for its form alone.
    #[serde(default)]
    pub bulk: bool,
    #[serde(default)]
    pub examples: RawExamples,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExamples {
    #[serde(default, rename = "match")]
    pub matching: Vec<RawExample>,
    #[serde(default)]
    pub no_match: Vec<RawExample>,
}

/// A message snippet, or a snippet with its envelope.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawExample {
    Text(String),
    Full(FullExample),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullExample {
    #[serde(default)]
    pub message: String,
    pub helo: Option<String>,
    pub client_ip: Option<String>,
    pub mail_from: Option<String>,
    pub rcpt_to: Option<Vec<String>>,
    /// Take the message exactly as written (no default Date, From, Message-ID … added).
    #[serde(default)]
    pub as_is: bool,
}

/// Parses one rule file's text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<RawFile, RuleError> {
    yaml_serde::from_str(text).map_err(|e| RuleError {
        file: origin.to_string(),
        line: e.location().map(|l| l.line()),
        message: strip_location(&e.to_string()),
    })
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The 1-based line where rule `id` is declared (`id: ID` or `- id: ID`).
pub fn line_of_rule(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.strip_prefix("id:")
                .map(|v| v.trim().trim_matches(['"', '\'']) == id)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

/// The line of the `n`th (0-based) example under `key` (`match` or `no_match`) of the rule
/// declared at `rule_line`: list items are counted from the key down to the next rule.
pub fn line_of_example(text: &str, rule_line: usize, key: &str, n: usize) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = rule_line.saturating_sub(1);
    let key_at = (start..lines.len()).find(|&i| {
        let t = lines[i].trim_start();
        (i == start || !t.starts_with("- id:")) && t.starts_with(&format!("{key}:"))
    })?;
    let indent = indent_of(lines[key_at]);
    let mut count = 0;
    for (i, line) in lines.iter().enumerate().skip(key_at + 1) {
        let t = line.trim_start();
        if t.is_empty() {
            continue;
        }
        if indent_of(line) < indent || (indent_of(line) == indent && !t.starts_with("- ")) {
            break;
        }
        if t.starts_with("- ") && indent_of(line) <= indent + 2 {
            if count == n {
                return Some(i + 1);
            }
            count += 1;
        }
    }
    Some(key_at + 1)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests;
