//! Finds the line of a key path (`backend.address`, `listen[1]`) in block-style YAML, so that
//! errors found after parsing (when serde's positions are gone) still name a line.

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into steps.
pub fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                steps.push(Step::Key(rest[..open].to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    steps.push(Step::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else {
            steps.push(Step::Key(rest.to_string()));
        }
    }
    steps
}

/// 1-based line of `path` in `text`, or of its deepest ancestor that exists.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let steps = parse_path(path);
    let lines: Vec<&str> = text.lines().collect();
    let mut found = None;
    // (first line to search, indent that children must exceed)
    let mut from = 0usize;
    let mut parent_indent: Option<usize> = None;
    for step in &steps {
        let mut hit = None;
        let mut seen_items = 0usize;
        for (i, raw) in lines.iter().enumerate().skip(from) {
            let Some((indent, content)) = significant(raw) else {
                continue;
            };
            if parent_indent.is_some_and(|p| indent <= p) && i > from {
                break;
            }
            match step {
                Step::Key(key) => {
                    let content = content.strip_prefix("- ").unwrap_or(content);
                    if content
                        .strip_prefix(key.as_str())
                        .is_some_and(|r| r.starts_with(':'))
                    {
                        hit = Some((i, indent));
                        break;
                    }
                }
                Step::Index(n) => {
                    if content.starts_with("- ") || content == "-" {
                        if seen_items == *n {
                            hit = Some((i, indent));
                            break;
                        }
                        seen_items += 1;
                    }
                }
            }
        }
        let Some((i, indent)) = hit else {
            return found;
        };
        found = Some(i + 1);
        from = i + 1;
        parent_indent = Some(indent);
        if let Step::Index(_) = step {
            // Keys of a list item sit on the item's line or deeper.
            from = i;
        }
    }
    found
}

/// Indentation and content of a line that is not blank or a comment.
fn significant(line: &str) -> Option<(usize, &str)> {
    let content = line.trim_start();
    if content.is_empty() || content.starts_with('#') {
        return None;
    }
    Some((line.len() - content.len(), content.trim_end()))
}

#[cfg(test)]
mod tests;
