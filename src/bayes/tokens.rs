//! Tokens of a message, taken from the rules engine's `Facts` (parsed once), in two parts:
//! its sender and path (From, a few headers, the hosts and IPv4 networks of the Received:
//! path) and its content (words of the decoded subject and body text, HTML already
//! converted, URI hosts and their parent domains, attachment types). Each token is hashed
//! with FNV-1a 64, which is stable across builds and platforms, so a model file stays valid
//! after an upgrade.

use crate::rules::facts::Facts;
use std::collections::HashSet;

/// At most this many distinct tokens per message: a huge message costs no more than this.
pub const MAX_TOKENS: usize = 3000;

/// Received: headers read (newest first) and tokens taken from each: the path costs little
/// and cannot crowd the body's words out of `MAX_TOKENS` however many relays a message
/// claims.
const MAX_RECEIVED: usize = 8;
const MAX_RECEIVED_TOKENS: usize = 24;

/// Headers whose words are tokens (prefixed with the header name). Not `Content-Type`:
/// its words (`text/html`, the boundary's shape) say what form a message takes, not what it
/// says, and in ham without newsletters "HTML only" alone made a token near 1.00 that
/// pushed every unseen HTML newsletter towards spam (the rules' `HTML_ONLY` already says
/// it, under the fit's cap on bulk traits). Dropping a header changes no other token, so
/// models learned before stay valid; their `content-type` counts are never asked again.
const HEADERS: &[&str] = &[
    "x-mailer",
    "user-agent",
    "reply-to",
    "precedence",
    "list-id",
    "organization",
];

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The distinct token hashes of a message, at most `MAX_TOKENS`: those of its sender and
/// path first, then those of its content (`split` says where the content starts). A model
/// learns them all together; the classifier gives an opinion on each part.
pub fn tokens(f: &Facts) -> Vec<u64> {
    split(f).0
}

/// The tokens (as `tokens`) and how many of them, at the front, are of the sender and path.
pub fn split(f: &Facts) -> (Vec<u64>, usize) {
    let mut t = Tokens::default();
    let sender = collect(f, &mut t);
    (t.out, sender)
}

/// The same tokens with their text (hash, text), for `moat scan --explain`: a model keeps
/// only hashes, so the words are recovered from the message itself.
pub fn named(f: &Facts) -> Vec<(u64, String)> {
    let mut t = Tokens {
        names: Some(Vec::new()),
        ..Tokens::default()
    };
    collect(f, &mut t);
    t.out.into_iter().zip(t.names.unwrap_or_default()).collect()
}

/// Collects every token; returns how many are of the sender and path. Those come first and
/// are few (at most about 220: 8 relays of 24 tokens and a handful of headers), so they never
/// crowd the content out of `MAX_TOKENS`.
///
/// Why two parts: who sent a message and by which way (From, the relays, the mailer, the
/// lists it came through) and what it says are two kinds of evidence that often disagree —
/// spam posted to a mailing list arrives by the list's trusted path, an unseen newsletter
/// comes from an unknown sender with ordinary words. Combined in one chi-square, one part
/// drowns the other and the opinion ends unsure; judged apart, each is a finding the policy
/// weighs (docs/bayes.md "Two opinions").
fn collect(f: &Facts, t: &mut Tokens) -> usize {
    for a in &f.from {
        t.add("from:", &a.to_ascii_lowercase());
        if let Some((_, d)) = a.rsplit_once('@') {
            t.add("fromdom:", &d.to_ascii_lowercase());
        }
    }
    for n in &f.from_name {
        t.words("fromname:", n);
    }
    for name in HEADERS {
        for v in f.headers.get(*name).into_iter().flatten() {
            t.words(name, v);
        }
    }
    for r in f
        .headers
        .get("received")
        .into_iter()
        .flatten()
        .take(MAX_RECEIVED)
    {
        t.received(r);
    }
    let sender = t.out.len();
    for s in &f.subject {
        t.words("s:", s);
    }
    for h in &f.uri_host {
        t.host(h);
    }
    for a in &f.attachment_type {
        t.add("att:", a);
    }
    for b in &f.body {
        t.words("", b);
    }
    sender
}

#[derive(Default)]
struct Tokens {
    seen: HashSet<u64>,
    out: Vec<u64>,
    buf: String,
    /// The text of each token of `out`, when asked for (`named`).
    names: Option<Vec<String>>,
}

impl Tokens {
    fn add(&mut self, prefix: &str, word: &str) {
        if self.out.len() >= MAX_TOKENS {
            return;
        }
        self.buf.clear();
        self.buf.push_str(prefix);
        self.buf.push_str(word);
        let h = fnv1a(self.buf.as_bytes());
        if self.seen.insert(h) {
            self.out.push(h);
            if let Some(names) = &mut self.names {
                // Header words are hashed as `x-mailerfoo`; shown as `x-mailer:foo`.
                let shown = if prefix.is_empty() || prefix.ends_with(':') {
                    self.buf.clone()
                } else {
                    format!("{prefix}:{word}")
                };
                names.push(shown);
            }
        }
    }

    /// Words of 3 to 20 characters, lower-cased (SpamBayes found case folding helps more
    /// than it hurts); longer runs become a coarse "skip" token by first letter and length.
    fn words(&mut self, prefix: &str, text: &str) {
        for w in text.split(|c: char| c.is_whitespace() || "\"'()<>[]{},;:!?*|".contains(c)) {
            let w = w.trim_matches(|c: char| c == '.' || c == '-' || c == '_');
            let n = w.chars().count();
            if n < 3 {
                continue;
            }
            if n > 20 {
                let first = w.chars().next().unwrap_or('?');
                self.add(prefix, &format!("skip:{first}{}", n / 10 * 10));
                continue;
            }
            if w.bytes().any(|b| b.is_ascii_uppercase()) {
                let lower = w.to_lowercase();
                self.add(prefix, &lower);
            } else {
                self.add(prefix, w);
            }
            if self.out.len() >= MAX_TOKENS {
                return;
            }
        }
    }

    /// The relays a message passed through: every host name of a Received: header (with
    /// its parent domains) and the /16 and /24 of every IPv4 address, up to the `;` that
    /// starts the date. The path a message took tells spam from ham well (10-fold
    /// cross-validation, docs/bayes.md): ham comes through the same few relays, spam through
    /// ever new ones. Whole addresses would be near-unique, so only the networks count.
    fn received(&mut self, header: &str) {
        let path = header.split(';').next().unwrap_or("");
        let limit = self.out.len() + MAX_RECEIVED_TOKENS;
        let sep = |c: char| {
            matches!(
                c,
                ' ' | '\t' | '\r' | '\n' | '(' | ')' | '[' | ']' | ',' | '=' | '<' | '>'
            )
        };
        for w in path.split(sep) {
            if self.out.len() >= limit {
                break;
            }
            let w = w.trim_matches('.');
            if !w.contains('.') {
                continue;
            }
            if w.starts_with(|c: char| c.is_ascii_digit())
                && w.parse::<std::net::Ipv4Addr>().is_ok()
            {
                // "a.b.c.d" → "a.b" and "a.b.c": cut at the second and third dots.
                let mut dots = w.match_indices('.').map(|(i, _)| i);
                let (_, second, third) = (dots.next(), dots.next(), dots.next());
                for cut in [second, third].into_iter().flatten() {
                    self.add("rcvdip:", &w[..cut]);
                }
            } else if is_host_name(w) {
                self.domains("rcvd:", w);
            }
        }
    }

    /// A host and each parent domain, so `a.b.evil.test` also counts as `evil.test`.
    fn host(&mut self, host: &str) {
        self.domains("host:", host);
    }

    fn domains(&mut self, prefix: &str, host: &str) {
        let host = host.to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            self.add(prefix, rest);
            match rest.split_once('.') {
                Some((_, r)) if r.contains('.') => rest = r,
                _ => break,
            }
        }
    }
}

/// A dotted name of letters, digits and hyphens with at least one letter (so neither an
/// address nor a version number nor a word with a full stop).
fn is_host_name(w: &str) -> bool {
    w.contains('.')
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && w.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests;
