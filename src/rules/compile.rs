//! Raw rules → compiled rules. Patterns of one target are compiled together: every regex of
//! a target goes into one `RegexSet`, every word list into one Aho-Corasick automaton, so a
//! message's text is scanned once per target however many rules look at it.

use super::cidr::Cidr;
use super::facts::Num;
use super::file::RawRule;
use super::lazy::{self, LazyRegex};
use super::meta::{self, Expr};
use crate::verdict::Action;
use aho_corasick::AhoCorasick;
use regex::RegexSet;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextKey {
    Header(String),
    Subject,
    From,
    FromName,
    Body,
    RawBody,
    Uri,
    UriHost,
    LinkMismatch,
    AttachmentName,
    AttachmentType,
    MailFrom,
    RcptTo,
    Helo,
}

#[derive(Debug, Clone)]
pub enum Target {
    Text(TextKey),
    ClientIp,
    Num(Num),
}

pub fn parse_target(s: &str) -> Result<Target, String> {
    if let Some(name) = s.strip_prefix("header:") {
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(format!("`{s}`: header name is empty or invalid"));
        }
        return Ok(Target::Text(TextKey::Header(name.to_ascii_lowercase())));
    }
    use TextKey as K;
    let text = |k| Ok(Target::Text(k));
    let num = |n| Ok(Target::Num(n));
    match s {
        "subject" => text(K::Subject),
        "from" => text(K::From),
        "from_name" => text(K::FromName),
        "body" => text(K::Body),
        "rawbody" => text(K::RawBody),
        "uri" => text(K::Uri),
        "uri_host" => text(K::UriHost),
        "link_mismatch" => text(K::LinkMismatch),
        "attachment_name" => text(K::AttachmentName),
        "attachment_type" => text(K::AttachmentType),
        "mail_from" => text(K::MailFrom),
        "rcpt_to" => text(K::RcptTo),
        "helo" => text(K::Helo),
        "client_ip" => Ok(Target::ClientIp),
        "size" => num(Num::Size),
        "recipients" => num(Num::Recipients),
        "subject_uppercase_ratio" => num(Num::SubjectUppercaseRatio),
        "body_uppercase_ratio" => num(Num::BodyUppercaseRatio),
        "subject_exclamations" => num(Num::SubjectExclamations),
        "body_exclamations" => num(Num::BodyExclamations),
        "uri_count" => num(Num::UriCount),
        "attachment_count" => num(Num::AttachmentCount),
        "html_parts" => num(Num::HtmlParts),
        "text_parts" => num(Num::TextParts),
        "image_parts" => num(Num::ImageParts),
        "body_length" => num(Num::BodyLength),
        "date_skew_hours" => num(Num::DateSkewHours),
        "header_count" => num(Num::HeaderCount),
        other => Err(format!("unknown target `{other}` (see docs/rules.md)")),
    }
}

/// What a rule tests, once its target is known.
#[derive(Debug, Clone)]
pub enum Cond {
    /// Checked when the rule is loaded, compiled when first needed (see `lazy`).
    Regex(Arc<LazyRegex>),
    Words(Vec<String>),
    Exists(bool),
    Cidr(Vec<Cidr>),
    Range {
        above: Option<f64>,
        below: Option<f64>,
    },
    Meta(Expr),
}

/// Validates the target/condition combination of one rule.
pub fn condition(r: &RawRule) -> Result<(Option<Target>, Cond), String> {
    let given = [
        r.regex.is_some(),
        r.words.is_some(),
        r.exists.is_some(),
        r.cidr.is_some(),
        r.above.is_some() || r.below.is_some(),
        r.meta.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(
            "needs exactly one condition: regex, words, exists, cidr, above/below or meta".into(),
        );
    }
    if r.flags.is_some() && r.regex.is_none() {
        return Err("`flags` goes with `regex`".into());
    }
    if let Some(m) = &r.meta {
        if r.target.is_some() {
            return Err("a meta rule has no target".into());
        }
        return Ok((
            None,
            Cond::Meta(meta::parse(m).map_err(|e| format!("meta: {e}"))?),
        ));
    }
    let target = parse_target(r.target.as_deref().ok_or("`target` is required")?)?;
    let cond = if let Some(re) = &r.regex {
        let flags = r.flags.as_deref().unwrap_or("");
        if let Some(bad) = flags.chars().find(|c| !"imsxU".contains(*c)) {
            return Err(format!("unknown regex flag `{bad}` (use i, m, s, x, U)"));
        }
        let pattern = if flags.is_empty() {
            re.clone()
        } else {
            format!("(?{flags}){re}")
        };
        Cond::Regex(Arc::new(
            LazyRegex::new(pattern).map_err(|e| format!("regex: {e}"))?,
        ))
    } else if let Some(words) = &r.words {
        if words.is_empty() || words.iter().any(|w| w.trim().is_empty()) {
            return Err("`words` needs non-empty entries".into());
        }
        Cond::Words(words.clone())
    } else if let Some(e) = r.exists {
        Cond::Exists(e)
    } else if let Some(c) = &r.cidr {
        Cond::Cidr(c.iter().map(|s| s.parse()).collect::<Result<_, _>>()?)
    } else {
        Cond::Range {
            above: r.above,
            below: r.below,
        }
    };
    let fits = matches!(
        (&target, &cond),
        (
            Target::Text(_),
            Cond::Regex(_) | Cond::Words(_) | Cond::Exists(_)
        ) | (Target::ClientIp, Cond::Cidr(_))
            | (Target::Num(_), Cond::Range { .. } | Cond::Exists(_))
    );
    if !fits {
        return Err("this condition does not apply to this target (text: regex/words/exists; client_ip: cidr; numbers: above/below)".into());
    }
    Ok((Some(target), cond))
}

pub fn parse_force(s: &str) -> Result<Action, String> {
    Action::parse(s).ok_or_else(|| format!("force: unknown action `{s}`"))
}

/// All text rules of one target, compiled together.
pub struct TextGroup {
    pub key: TextKey,
    pub set: Option<RegexSet>,
    /// Per pattern of `set`: the rule index and its own regex (to quote the match).
    pub regexes: Vec<(usize, Arc<LazyRegex>)>,
    /// Patterns that can match one or two bytes (`\w`, `[!?]`): run on their own, see
    /// `prefilter::is_dense`.
    pub dense: Vec<(usize, Arc<LazyRegex>)>,
    pub words: Option<AhoCorasick>,
    /// Per word pattern: the rule index.
    pub word_rules: Vec<usize>,
    pub exists: Vec<(usize, bool)>,
}

impl TextGroup {
    pub fn new(key: TextKey) -> TextGroup {
        TextGroup {
            key,
            set: None,
            regexes: Vec::new(),
            dense: Vec::new(),
            words: None,
            word_rules: Vec::new(),
            exists: Vec::new(),
        }
    }

    /// Builds the set and the automaton from the patterns collected so far.
    pub fn build(&mut self, words: Vec<String>) -> Result<(), String> {
        let (dense, sparse) = std::mem::take(&mut self.regexes)
            .into_iter()
            .partition(|(_, re)| super::prefilter::is_dense(re.as_str()));
        (self.dense, self.regexes) = (dense, sparse);
        // Dense patterns are searched on every message: compile them now, so that a size
        // error is a load error.
        for (_, re) in &self.dense {
            if re.get().is_none() {
                return Err(format!("regex `{}` exceeds the size limit", re.as_str()));
            }
        }
        if !self.regexes.is_empty() {
            // The set only nominates candidates; see `prefilter` for why its patterns differ.
            let patterns = self
                .regexes
                .iter()
                .map(|(_, r)| super::prefilter::set_pattern(r.as_str()));
            self.set = Some(
                regex::RegexSetBuilder::new(patterns)
                    .size_limit(lazy::SIZE_LIMIT)
                    // The lazy DFA of a set of Unicode patterns needs room: with the default
                    // 2 MiB cache it keeps rebuilding states on large HTML bodies and gives up
                    // to the PikeVM. The cache grows only as far as the text needs.
                    .dfa_size_limit(32 << 20)
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        if !words.is_empty() {
            self.words = Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    // A full DFA: the fastest overlapping search; a few hundred words fit.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&words)
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(())
    }
}
