//! Running one target's compiled patterns over its values, and numeric conditions.

use super::compile::{Cond, TextGroup, TextKey};
use super::facts::Facts;
use super::lazy::LazyRegex;

/// The values of one target, in up to two slices (`rawbody` shares the text parts with
/// `body`, see `Facts::rawbody`).
pub fn values<'a>(f: &'a Facts, key: &TextKey) -> [&'a [String]; 2] {
    let one: &[String] = match key {
        TextKey::Header(name) => f.headers.get(name).map(Vec::as_slice).unwrap_or_default(),
        TextKey::Subject => &f.subject,
        TextKey::From => &f.from,
        TextKey::FromName => &f.from_name,
        TextKey::Body => &f.body,
        TextKey::RawBody => return f.rawbody(),
        TextKey::Uri => &f.uri,
        TextKey::UriHost => &f.uri_host,
        TextKey::LinkMismatch => &f.link_mismatch,
        TextKey::AttachmentName => &f.attachment_name,
        TextKey::AttachmentType => &f.attachment_type,
        TextKey::MailFrom => &f.mail_from,
        TextKey::RcptTo => &f.rcpt_to,
        TextKey::Helo => &f.helo,
    };
    [one, &[]]
}

pub fn group(g: &TextGroup, values: [&[String]; 2], fired: &mut [Option<String>]) {
    let values = || values.into_iter().flatten();
    for &(i, want) in &g.exists {
        let present = values().any(|v| !v.is_empty());
        if present == want {
            fired[i] = Some(String::new());
        }
    }
    for v in values() {
        for (i, re) in &g.dense {
            if fired[*i].is_none() {
                fired[*i] = confirm(re, v);
            }
        }
        // Most text matches none of a target's patterns. `is_match` answers that with the
        // DFA's fast forward loop and literal prefilters, and stops at the first match; the
        // overlapping search, which must visit every byte in every state, runs only when
        // there is something to find.
        if let Some(set) = g.set.as_ref().filter(|set| set.is_match(v)) {
            for p in set.matches(v).iter() {
                let (i, re) = &g.regexes[p];
                if fired[*i].is_none() {
                    fired[*i] = confirm(re, v);
                }
            }
        }
        if let Some(ac) = &g.words {
            for m in ac.find_overlapping_iter(v.as_str()) {
                let i = g.word_rules[m.pattern().as_usize()];
                if fired[i].is_none() && at_word_boundaries(v.as_bytes(), m.start(), m.end()) {
                    fired[i] = Some(v[m.start()..m.end()].to_string());
                }
            }
        }
    }
}

/// The rule's own match in `text`, to quote.
fn confirm(re: &LazyRegex, text: &str) -> Option<String> {
    let m = re.get()?.find(text)?;
    Some(m.as_str().to_string())
}

/// A word matches only as a whole word: "sex" must not fire on "Sussex".
fn at_word_boundaries(text: &[u8], start: usize, end: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let before = start == 0 || !word(text[start - 1]) || !word(text[start]);
    let after = end == text.len() || !word(text[end]) || !word(text[end - 1]);
    before && after
}

pub fn num(value: Option<f64>, cond: &Cond) -> Option<String> {
    match cond {
        Cond::Exists(want) => (value.is_some() == *want).then(String::new),
        Cond::Range { above, below } => {
            let v = value?;
            let ok = above.is_none_or(|a| v > a) && below.is_none_or(|b| v < b);
            ok.then(|| format!("{}", (v * 100.0).round() / 100.0))
        }
        _ => None,
    }
}

pub fn quote(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}
