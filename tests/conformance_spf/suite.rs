//! The OpenSPF RFC 7208 test suite (tests/conformance_spf/rfc7208-tests.yml, from the pyspf
//! 2.0.14 sdist, licence in rfc7208-tests.LICENSE) read into scenarios: each has its zone
//! data and its test cases.
//!
//! Zone data follows the suite driver's (testspf.py) conventions: an `SPF` record is also
//! served as `TXT` unless the name has TXT data of its own (`TXT: NONE` suppresses that and
//! serves nothing), `TIMEOUT` alone makes the queries for the name that no record before it
//! answered time out, `TIMEOUT` as a
//! record's value makes queries of that type time out, and a missing name under `error.`
//! times out too.

use std::collections::HashMap;
use yaml_serde::Value;

pub const SUITE: &str = include_str!("rfc7208-tests.yml");

#[derive(Debug, Clone)]
pub enum Entry {
    Timeout,
    /// (type, data): TXT strings joined; A/AAAA/PTR/CNAME text; MX "pref name".
    Record(String, RecordData),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordData {
    Timeout,
    Text(String),
    /// TXT: the character-strings of one record.
    Strings(Vec<String>),
    Mx(u16, String),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub scenario: usize,
    pub host: String,
    pub mailfrom: String,
    pub helo: String,
    /// Acceptable results, the preferred one first.
    pub results: Vec<String>,
    pub explanation: Option<String>,
    pub spec: String,
}

pub struct Scenario {
    pub description: String,
    /// Lower-case names without trailing dot.
    pub zone: HashMap<String, Vec<Entry>>,
}

pub fn load() -> (Vec<Scenario>, Vec<Case>) {
    let mut scenarios = Vec::new();
    let mut cases = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(SUITE) {
        let doc = Value::deserialize_any(doc);
        let index = scenarios.len();
        let description = text(&doc["description"]);
        let mut zone = HashMap::new();
        if let Some(map) = doc["zonedata"].as_mapping() {
            for (name, records) in map {
                let name = text(name).to_ascii_lowercase();
                let name = name.trim_end_matches('.').to_string();
                zone.insert(name, entries(records));
            }
        }
        if let Some(map) = doc["tests"].as_mapping() {
            for (id, t) in map {
                cases.push(Case {
                    id: text(id),
                    scenario: index,
                    host: text(&t["host"]),
                    mailfrom: text(&t["mailfrom"]),
                    helo: text(&t["helo"]),
                    results: match &t["result"] {
                        Value::Sequence(list) => list.iter().map(text).collect(),
                        one => vec![text(one)],
                    },
                    explanation: t.get("explanation").map(text),
                    spec: text(&t["spec"]),
                });
            }
        }
        scenarios.push(Scenario { description, zone });
    }
    (scenarios, cases)
}

trait AnyValue {
    fn deserialize_any(doc: yaml_serde::Deserializer<'_>) -> Value;
}

impl AnyValue for Value {
    fn deserialize_any(doc: yaml_serde::Deserializer<'_>) -> Value {
        serde::Deserialize::deserialize(doc).expect("suite YAML")
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => format!("{other:?}"),
    }
}

/// One name's records, with SPF copied to TXT as the driver does.
fn entries(records: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut generated = Vec::new();
    let mut has_txt = false;
    for item in records.as_sequence().into_iter().flatten() {
        let Some(map) = item.as_mapping() else {
            // The bare string TIMEOUT.
            out.push(Entry::Timeout);
            continue;
        };
        for (rtype, value) in map {
            let rtype = text(rtype);
            let data = match (rtype.as_str(), value) {
                (_, Value::String(s)) if s == "TIMEOUT" => RecordData::Timeout,
                ("TXT" | "SPF", Value::Sequence(parts)) => {
                    RecordData::Strings(parts.iter().map(text).collect())
                }
                ("TXT" | "SPF", v) => RecordData::Strings(vec![text(v)]),
                ("MX", Value::Sequence(mx)) => {
                    RecordData::Mx(text(&mx[0]).parse().unwrap(), text(&mx[1]))
                }
                (_, v) => RecordData::Text(text(v)),
            };
            let none = data == RecordData::Strings(vec!["NONE".into()]);
            match rtype.as_str() {
                "TXT" => has_txt = true,
                "SPF" if !none => generated.push(data.clone()),
                _ => {}
            }
            if !none {
                out.push(Entry::Record(rtype, data));
            }
        }
    }
    if !has_txt {
        out.extend(
            generated
                .into_iter()
                .map(|d| Entry::Record("TXT".into(), d)),
        );
    }
    out
}

/// What a DNS query for (name, type) gets under the driver's rules.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Timeout,
    /// The name does not exist.
    NxDomain,
    /// Records of the type (possibly none), CNAMEs followed.
    Records(Vec<RecordData>),
}

impl Scenario {
    pub fn query(&self, name: &str, rtype: &str) -> Answer {
        self.query_depth(name, rtype, 0)
    }

    fn query_depth(&self, name: &str, rtype: &str, depth: usize) -> Answer {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let Some(entries) = self.zone.get(&name) else {
            return if name.starts_with("error.") {
                Answer::Timeout
            } else {
                Answer::NxDomain
            };
        };
        let mut found = Vec::new();
        for entry in entries {
            match entry {
                // A bare TIMEOUT times out only the queries no earlier record answered.
                Entry::Timeout if found.is_empty() => return Answer::Timeout,
                Entry::Timeout => return Answer::Records(found),
                Entry::Record(t, RecordData::Timeout) if t == rtype => return Answer::Timeout,
                Entry::Record(t, data) if t == rtype => found.push(data.clone()),
                Entry::Record(t, RecordData::Text(target)) if t == "CNAME" && depth < 8 => {
                    match self.query_depth(target, rtype, depth + 1) {
                        Answer::Records(more) => found.extend(more),
                        Answer::Timeout => return Answer::Timeout,
                        Answer::NxDomain => {}
                    }
                }
                _ => {}
            }
        }
        Answer::Records(found)
    }
}
