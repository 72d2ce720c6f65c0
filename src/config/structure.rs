//! The structural pass: YAML text → `RawConfig`, reporting every wrongly typed value and
//! every unknown key, not only the first.
//!
//! serde stops at the first error. So the file is read once into a YAML value tree, and
//! deserialized from that tree again and again: after each error the offending node (the key
//! serde's path names) is removed from the tree and the attempt repeats, until the tree
//! deserializes. A removed key falls back to its documented default, so the later attempts
//! and the semantic checks that follow see a file as if the broken keys were not written.
//!
//! What "every error" means here, exactly:
//! - every unknown key and every value of the wrong type or format is reported, each with
//!   its own file, line and key (up to `MAX_ERRORS`);
//! - an error inside a value already reported hides nothing else, except: a section that
//!   lacks a required key (`backend` without `protocol`) is reported once and dropped whole,
//!   so the other keys of that one section are not checked;
//! - a YAML syntax error (bad indentation, an unclosed quote) stops everything: the parser
//!   cannot say what follows, so it is the only error reported;
//! - semantic errors about a key that was dropped (or its parent or children) are left out:
//!   they would only repeat the structural one.

use super::ConfigError;
use super::locate::line_of;
use super::raw::RawConfig;
use serde_path_to_error::Segment;
use std::collections::HashMap;
use yaml_serde::Value;

/// A file with more wrong keys than this is probably not a Moat configuration at all.
pub const MAX_ERRORS: usize = 100;

/// The outcome of the structural pass.
pub struct Structure {
    /// `None` when nothing usable is left (a syntax error, or the document is not a mapping).
    pub raw: Option<RawConfig>,
    pub errors: Vec<ConfigError>,
    /// Keys (dotted paths as in the errors) dropped from the tree because they were wrong.
    pub dropped: Vec<String>,
}

/// Whether `key` is a dropped key, or below or above one: its errors repeat a dropped one.
pub fn covers(dropped: &[String], key: &str) -> bool {
    dropped.iter().any(|d| related(d, key))
}

fn related(dropped: &str, key: &str) -> bool {
    let below = |inner: &str, outer: &str| {
        inner == outer
            || (!outer.is_empty()
                && inner.starts_with(outer)
                && matches!(inner.as_bytes().get(outer.len()), Some(b'.' | b'[')))
    };
    below(key, dropped) || below(dropped, key)
}

pub fn parse(text: &str, origin: &str) -> Structure {
    let error = |line: Option<usize>, key: String, message: String| ConfigError {
        file: origin.to_string(),
        line: line.or_else(|| line_of(text, &key)),
        key,
        message,
    };
    let mut tree: Value = match yaml_serde::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = e.location().map(|l| l.line());
            let message = format!("not valid YAML: {}", strip_location(&e.to_string()));
            return Structure {
                raw: None,
                errors: vec![error(line, String::new(), message)],
                dropped: Vec::new(),
            };
        }
    };
    let mut out = Structure {
        raw: None,
        errors: Vec::new(),
        dropped: Vec::new(),
    };
    let mut removed = Removed::default();
    while out.errors.len() < MAX_ERRORS {
        let e = match serde_path_to_error::deserialize::<_, RawConfig>(tree.clone()) {
            Ok(raw) => {
                out.raw = Some(raw);
                break;
            }
            Err(e) => e,
        };
        let segments: Vec<Segment> = e.path().iter().cloned().collect();
        let key = removed.original_path(&segments);
        out.errors
            .push(error(None, key.clone(), e.inner().to_string()));
        // Nothing left to drop (the root itself is wrong) or nothing found: stop here.
        if segments.is_empty() || !remove(&mut tree, &segments) {
            break;
        }
        removed.record(&segments, &key);
        out.dropped.push(key);
    }
    out
}

/// yaml_serde appends " at line L column C" to messages; the line is reported separately.
pub fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Sequence items removed so far, by the original path of their sequence, so that the
/// index of a later error (counted in the pruned tree) is reported as written in the file.
#[derive(Default)]
struct Removed {
    items: HashMap<String, Vec<usize>>,
}

impl Removed {
    /// The dotted path (`lists.deny.clients[3]`) of `segments` in the original file.
    fn original_path(&self, segments: &[Segment]) -> String {
        let mut path = String::new();
        for s in segments {
            match s {
                Segment::Seq { index } => {
                    let original = self.original_index(&path, *index);
                    path.push_str(&format!("[{original}]"));
                }
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Unknown => path.push_str(".?"),
            }
        }
        path
    }

    fn original_index(&self, sequence: &str, current: usize) -> usize {
        let mut gone = self.items.get(sequence).cloned().unwrap_or_default();
        gone.sort_unstable();
        let mut index = current;
        for g in gone {
            if g <= index {
                index += 1;
            }
        }
        index
    }

    fn record(&mut self, segments: &[Segment], original: &str) {
        if let Some(Segment::Seq { .. }) = segments.last()
            && let Some(open) = original.rfind('[')
            && let Ok(i) = original[open + 1..original.len() - 1].parse()
        {
            let sequence = original[..open].to_string();
            self.items.entry(sequence).or_default().push(i);
        }
    }
}

/// Removes the node at `segments` from `tree`; false when there is no such node.
fn remove(tree: &mut Value, segments: &[Segment]) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = tree;
    for s in parents {
        let next = match (s, node) {
            (Segment::Map { key }, Value::Mapping(m)) => m.iter_mut().find(|(k, _)| same(k, key)),
            (Segment::Seq { index }, Value::Sequence(items)) => {
                items.get_mut(*index).map(|v| (&Value::Null, v))
            }
            _ => None,
        };
        match next {
            Some((_, v)) => node = v,
            None => return false,
        }
    }
    match (last, node) {
        (Segment::Map { key }, Value::Mapping(m)) => {
            let before = m.len();
            m.retain(|k, _| !same(k, key));
            m.len() < before
        }
        (Segment::Seq { index }, Value::Sequence(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// A mapping key as serde's path spells it (keys may be written as numbers or booleans).
fn same(key: &Value, name: &str) -> bool {
    match key {
        Value::String(s) => s == name,
        Value::Number(n) => n.to_string() == name,
        Value::Bool(b) => b.to_string() == name,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
