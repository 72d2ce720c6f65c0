//! The content rules engine: YAML rule files → one compiled `RuleSet` → findings.
//!
//! A message is parsed and decoded once (`facts`); each target's patterns run as one
//! `RegexSet` and one Aho-Corasick automaton (`compile`); meta rules combine the results.
//! Syntax and semantics: docs/rules.md.

pub mod builtin;
pub mod check;
pub mod cidr;
mod compile;
mod eval;
pub mod examples;
pub mod facts;
mod file;
mod lazy;
mod meta;
mod prefilter;
pub mod scores;
pub mod uri;

use crate::checks::Finding;
use crate::verdict::Action;
use compile::{Cond, Target, TextGroup, TextKey};
use facts::Facts;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in a set of rule files.
#[derive(Debug, Clone, thiserror::Error)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        write!(f, "rule errors: {}", list.join("; "))
    }
}

/// A rule file's name and text.
#[derive(Debug, Clone)]
pub struct Source {
    pub origin: String,
    pub text: String,
}

pub struct Rule {
    pub id: String,
    pub description: String,
    /// The score findings of this rule carry: the fitted one when a score file names the
    /// rule (`set_scores`), else `hand_score`.
    pub score: f64,
    /// The `score:` written in the rule file. Its sign says what the rule is evidence of
    /// (spam above zero, legitimate mail below), which a fit never reverses.
    pub hand_score: f64,
    pub force: Option<Action>,
    /// `bulk: true`: a trait of legitimate bulk mail too (see `file::RawRule::bulk`).
    pub bulk: bool,
    pub file: Arc<str>,
    pub line: Option<usize>,
    pub examples: file::RawExamples,
    target: Option<Target>,
    cond: Cond,
}

/// The compiled rules of one configuration; shared read-only by every session.
#[derive(Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    groups: Vec<TextGroup>,
    /// Meta rules in an order where every meta comes after the metas it uses.
    meta_order: Vec<usize>,
    sources: Vec<Source>,
}

impl RuleSet {
    /// Parses and compiles every source; all or nothing.
    pub fn compile(sources: Vec<Source>) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let mut set = RuleSet::default();
        for src in &sources {
            let origin: Arc<str> = src.origin.as_str().into();
            let raw = match file::parse(&src.text, &src.origin) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for r in raw.rules {
                let line = file::line_of_rule(&src.text, &r.id);
                let err = |message: String| RuleError {
                    file: src.origin.clone(),
                    line,
                    message,
                };
                if let Err(m) = check_id(&r.id) {
                    errors.push(err(m));
                    continue;
                }
                if set.by_id.contains_key(&r.id) {
                    errors.push(err(format!("rule `{}` is defined twice", r.id)));
                    continue;
                }
                let force = match r.force.as_deref().map(compile::parse_force).transpose() {
                    Ok(f) => f,
                    Err(m) => {
                        errors.push(err(format!("{}: {m}", r.id)));
                        continue;
                    }
                };
                match compile::condition(&r) {
                    Ok((target, cond)) => {
                        set.by_id.insert(r.id.clone(), set.rules.len());
                        set.rules.push(Rule {
                            id: r.id,
                            description: r.description,
                            score: r.score,
                            hand_score: r.score,
                            force,
                            bulk: r.bulk,
                            file: origin.clone(),
                            line,
                            examples: r.examples,
                            target,
                            cond,
                        });
                    }
                    Err(m) => errors.push(err(format!("{}: {m}", r.id))),
                }
            }
        }
        if errors.is_empty() {
            errors.extend(set.order_metas());
        }
        if errors.is_empty() {
            errors.extend(set.build_groups());
        }
        set.sources = sources;
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(RuleErrors(errors))
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Gives every rule the table names its score there (a fitted score file); the others
    /// keep theirs. Ids the table names that are no rule here are returned.
    pub fn set_scores(&mut self, table: &scores::ScoreTable) -> Vec<String> {
        let mut unknown = Vec::new();
        for (id, score) in table.iter() {
            match self.by_id.get(id) {
                Some(&i) => self.rules[i].score = score,
                None => unknown.push(id.to_string()),
            }
        }
        unknown
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    fn rule_error(&self, i: usize, message: String) -> RuleError {
        let r = &self.rules[i];
        RuleError {
            file: r.file.to_string(),
            line: r.line,
            message,
        }
    }

    /// Checks that metas name existing rules and have no cycles; fixes their order.
    fn order_metas(&mut self) -> Vec<RuleError> {
        let mut errors = Vec::new();
        let mut deps: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            if let Cond::Meta(e) = &r.cond {
                let mut ids = Vec::new();
                e.ids(&mut ids);
                let mut d = Vec::new();
                for id in ids {
                    match self.by_id.get(&id) {
                        Some(&j) => d.push(j),
                        None => errors.push(self.rule_error(
                            i,
                            format!("{}: meta refers to unknown rule `{id}`", r.id),
                        )),
                    }
                }
                deps.insert(i, d);
            }
        }
        // Depth-first topological sort; a rule met again while on the stack is a cycle.
        let mut state: HashMap<usize, u8> = HashMap::new();
        let mut keys: Vec<usize> = deps.keys().copied().collect();
        keys.sort();
        for k in keys {
            if let Err(i) = visit(k, &deps, &mut state, &mut self.meta_order) {
                errors.push(self.rule_error(
                    i,
                    format!(
                        "{}: meta rules refer to each other in a cycle",
                        self.rules[i].id
                    ),
                ));
                break;
            }
        }
        errors
    }

    fn build_groups(&mut self) -> Vec<RuleError> {
        let mut index: HashMap<TextKey, usize> = HashMap::new();
        let mut words: Vec<Vec<String>> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let Some(Target::Text(key)) = &r.target else {
                continue;
            };
            let g = *index.entry(key.clone()).or_insert_with(|| {
                self.groups.push(TextGroup::new(key.clone()));
                words.push(Vec::new());
                self.groups.len() - 1
            });
            match &r.cond {
                Cond::Regex(re) => self.groups[g].regexes.push((i, re.clone())),
                Cond::Words(ws) => {
                    for w in ws {
                        words[g].push(w.clone());
                        self.groups[g].word_rules.push(i);
                    }
                }
                Cond::Exists(e) => self.groups[g].exists.push((i, *e)),
                _ => {}
            }
        }
        let mut errors = Vec::new();
        for (g, w) in self.groups.iter_mut().zip(words) {
            if let Err(e) = g.build(w) {
                errors.push(RuleError {
                    file: "<rules>".into(),
                    line: None,
                    message: format!("{:?}: {e}", g.key),
                });
            }
        }
        errors
    }

    /// Runs every rule over the extracted message; returns one finding per rule that fired.
    pub fn evaluate(&self, facts: &Facts) -> Vec<Finding> {
        let mut fired: Vec<Option<String>> = vec![None; self.rules.len()];
        for g in &self.groups {
            eval::group(g, eval::values(facts, &g.key), &mut fired);
        }
        for (i, r) in self.rules.iter().enumerate() {
            match (&r.target, &r.cond) {
                (Some(Target::ClientIp), Cond::Cidr(list)) => {
                    if let Some(ip) = facts
                        .client_ip
                        .filter(|ip| list.iter().any(|c| c.contains(*ip)))
                    {
                        fired[i] = Some(ip.to_string());
                    }
                }
                (Some(Target::Num(n)), cond) => {
                    fired[i] = eval::num(facts.nums.get(n).copied(), cond)
                }
                _ => {}
            }
        }
        for &i in &self.meta_order {
            if let Cond::Meta(e) = &self.rules[i].cond {
                let is = |id: &str| self.by_id.get(id).is_some_and(|&j| fired[j].is_some());
                if e.eval(&is) {
                    fired[i] = Some(String::new());
                }
            }
        }
        self.findings(fired)
    }

    fn findings(&self, fired: Vec<Option<String>>) -> Vec<Finding> {
        let mut out = Vec::new();
        for (r, hit) in self.rules.iter().zip(fired) {
            // `__` rules are building blocks of metas, not findings of their own.
            let Some(hit) = hit.filter(|_| !r.id.starts_with("__")) else {
                continue;
            };
            let reason = if hit.is_empty() {
                r.description.clone()
            } else {
                format!("{} [{}]", r.description, eval::quote(&hit))
            };
            out.push(Finding {
                id: r.id.clone(),
                score: r.score,
                reason,
                force: r.force,
            });
        }
        out
    }
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleSet({} rules)", self.rules.len())
    }
}

fn visit(
    k: usize,
    deps: &HashMap<usize, Vec<usize>>,
    state: &mut HashMap<usize, u8>,
    order: &mut Vec<usize>,
) -> Result<(), usize> {
    match state.get(&k) {
        Some(2) => return Ok(()),
        Some(1) => return Err(k),
        _ => {}
    }
    state.insert(k, 1);
    for &d in deps.get(&k).map(Vec::as_slice).unwrap_or_default() {
        if deps.contains_key(&d) {
            visit(d, deps, state, order)?;
        }
    }
    state.insert(k, 2);
    order.push(k);
    Ok(())
}

fn check_id(id: &str) -> Result<(), String> {
    let name = id.strip_prefix("__").unwrap_or(id);
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.as_bytes()[0].is_ascii_uppercase();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "rule id `{id}` must be UPPER_CASE letters, digits and _ (a `__` prefix marks a hidden sub-rule)"
        ))
    }
}

#[cfg(test)]
mod tests;
