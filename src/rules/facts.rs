//! Everything rules look at, extracted from a message once: decoded headers, text of every
//! text part (HTML converted to text), URIs and their hosts, attachments, the envelope and a
//! few numbers. Rules then only match patterns against these strings.

use super::uri;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use std::collections::HashMap;
use std::net::IpAddr;

/// The SMTP envelope and connection a message came with.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub client_ip: IpAddr,
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
}

/// Numbers rules can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Num {
    Size,
    Recipients,
    SubjectUppercaseRatio,
    BodyUppercaseRatio,
    SubjectExclamations,
    BodyExclamations,
    UriCount,
    AttachmentCount,
    HtmlParts,
    TextParts,
    ImageParts,
    BodyLength,
    DateSkewHours,
    HeaderCount,
}

#[derive(Debug, Default)]
pub struct Facts {
    /// Header values by lower-case name, decoded where the header is text.
    pub headers: HashMap<String, Vec<String>>,
    pub subject: Vec<String>,
    pub from: Vec<String>,
    pub from_name: Vec<String>,
    /// Text of every text part, then the text rendered from every HTML part.
    pub body: Vec<String>,
    /// `rawbody` is `body[..shared_text]` followed by `rawbody_only` (see `rawbody`): the
    /// text parts are kept once, not once per target (a large message is copied less).
    pub shared_text: usize,
    /// `rawbody` values that are not in `body`: HTML source as sent; the undecoded bytes of a
    /// message mail-parser cannot parse.
    pub rawbody_only: Vec<String>,
    pub uri: Vec<String>,
    pub uri_host: Vec<String>,
    pub link_mismatch: Vec<String>,
    pub attachment_name: Vec<String>,
    pub attachment_type: Vec<String>,
    pub mail_from: Vec<String>,
    pub rcpt_to: Vec<String>,
    pub helo: Vec<String>,
    pub client_ip: Option<IpAddr>,
    pub nums: HashMap<Num, f64>,
}

/// Parses a message as the rules see it; `None` when mail-parser cannot. mail-parser has a
/// `debug_assert!` reachable from crafted MIME (found by the `pipeline` fuzz target): in
/// debug builds it panics, which counts as unparseable too.
pub fn parse(raw: &[u8]) -> Option<mail_parser::Message<'_>> {
    std::panic::catch_unwind(|| MessageParser::default().parse(raw))
        .ok()
        .flatten()
}

impl Facts {
    pub fn extract(raw: &[u8], env: &Envelope, now_unix: i64) -> Facts {
        let mut parsed = parse(raw);
        let texts = parsed.as_mut().map(take_texts);
        Facts::build(raw, parsed.as_ref(), texts, env, now_unix)
    }

    /// The facts of `raw`, already parsed by `parse` (for a caller that needed the parsed
    /// message itself, so it is parsed once).
    pub fn from_parsed(
        raw: &[u8],
        parsed: Option<&mail_parser::Message>,
        env: &Envelope,
        now_unix: i64,
    ) -> Facts {
        Facts::build(raw, parsed, None, env, now_unix)
    }

    /// `texts`: the parts' text already taken out of `parsed` (`take_texts`), by part index.
    fn build(
        raw: &[u8],
        parsed: Option<&mail_parser::Message>,
        texts: Option<Vec<Option<String>>>,
        env: &Envelope,
        now_unix: i64,
    ) -> Facts {
        let mut f = Facts {
            mail_from: vec![env.mail_from.clone()],
            rcpt_to: env.rcpt_to.clone(),
            helo: vec![env.helo.clone()],
            client_ip: Some(env.client_ip),
            ..Facts::default()
        };
        f.nums.insert(Num::Size, raw.len() as f64);
        f.nums.insert(Num::Recipients, env.rcpt_to.len() as f64);
        let Some(msg) = parsed else {
            // Unparseable: rawbody rules still see the bytes after the header.
            let header_end = memchr::memmem::find(raw, b"\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| memchr::memmem::find(raw, b"\n\n").map(|i| i + 2))
                .unwrap_or(raw.len());
            f.rawbody_only
                .push(String::from_utf8_lossy(&raw[header_end..]).into_owned());
            return f;
        };
        let mut header_count = 0.0;
        for h in msg.headers() {
            header_count += 1.0;
            let value = match h.value().as_text() {
                Some(t) => t.to_string(),
                None => raw_value(raw, h.offset_start(), h.offset_end()),
            };
            f.headers
                .entry(h.name().to_ascii_lowercase())
                .or_default()
                .push(value);
        }
        f.nums.insert(Num::HeaderCount, header_count);
        if let Some(s) = msg.subject() {
            f.subject.push(s.to_string());
            f.nums
                .insert(Num::SubjectUppercaseRatio, uppercase_ratio(s));
            f.nums
                .insert(Num::SubjectExclamations, s.matches('!').count() as f64);
        }
        if let Some(addr) = msg.from().and_then(|a| a.first()) {
            if let Some(a) = addr.address() {
                f.from.push(a.to_string());
            }
            if let Some(n) = addr.name() {
                f.from_name.push(n.to_string());
            }
        }
        // Dates are judged against the newest Received: header (when the previous hop took
        // the message), so that `moat scan` of stored mail judges it as on arrival.
        let reference = f
            .headers
            .get("received")
            .and_then(|r| r.first())
            .and_then(|r| r.rsplit_once(';'))
            .and_then(|(_, date)| parse_date(date))
            .filter(|t| (315_532_800..=now_unix + 86_400).contains(t))
            .unwrap_or(now_unix);
        if let Some(date) = msg.date() {
            let hours = (date.to_timestamp() - reference) as f64 / 3600.0;
            f.nums.insert(Num::DateSkewHours, hours);
        }
        f.extract_parts(msg, texts.unwrap_or_default());
        f
    }

    fn extract_parts(&mut self, msg: &mail_parser::Message, mut texts: Vec<Option<String>>) {
        let (mut html_parts, mut text_parts, mut images) = (0.0, 0.0, 0.0);
        let mut html_sources = Vec::new();
        // Every text part counts, wherever the parser filed it: mail-parser lists some
        // inline parts (e.g. a lone text/html in multipart/mixed) as attachments.
        for (i, part) in msg.parts.iter().enumerate() {
            let mut text = |t: &str| {
                let taken = texts.get_mut(i).and_then(Option::take);
                lenient(part, taken.unwrap_or_else(|| t.to_string()))
            };
            let is_html = part
                .content_type()
                .is_some_and(|c| c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")));
            let is_image = part
                .content_type()
                .is_some_and(|c| c.ctype().eq_ignore_ascii_case("image"));
            match &part.body {
                PartType::Html(h) => html_sources.push(text(h)),
                PartType::Text(t) if is_html => html_sources.push(text(t)),
                PartType::Text(t) => {
                    text_parts += 1.0;
                    self.body.push(text(t));
                }
                PartType::Binary(_) | PartType::InlineBinary(_) if is_image => images += 1.0,
                _ => {}
            }
        }
        html_parts += html_sources.len() as f64;
        // rawbody: decoded but not rendered (HTML source as sent), like SpamAssassin's. The
        // text parts are shared with `body` rather than copied.
        self.shared_text = self.body.len();
        for h in &html_sources {
            self.body.push(mail_parser::decoders::html::html_to_text(h));
        }
        for part in msg.attachments() {
            if let Some(name) = part.attachment_name() {
                self.attachment_name.push(name.to_string());
            }
            if let Some(ct) = part.content_type() {
                let sub = ct.subtype().unwrap_or("");
                self.attachment_type
                    .push(format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase());
            }
        }
        // Every counter below runs part by part: joining the parts would copy the whole text.
        uri::collect(
            self.body.iter().map(String::as_str),
            &html_sources,
            &mut self.uri,
            &mut self.link_mismatch,
        );
        self.uri_host = self.uri.iter().filter_map(|u| uri::host(u)).collect();
        self.uri_host.sort();
        self.uri_host.dedup();
        let n = &mut self.nums;
        n.insert(Num::HtmlParts, html_parts);
        n.insert(Num::TextParts, text_parts);
        n.insert(Num::ImageParts, images);
        n.insert(Num::AttachmentCount, msg.attachment_count() as f64);
        n.insert(Num::UriCount, self.uri.len() as f64);
        let words: usize = self.body.iter().map(|t| word_count(t)).sum();
        let letters = self.body.iter().map(|t| letter_counts(t));
        let (letters, upper) = letters.fold((0, 0), |(l, u), (pl, pu)| (l + pl, u + pu));
        let bangs: usize = self.body.iter().map(|t| t.matches('!').count()).sum();
        n.insert(Num::BodyLength, words as f64);
        n.insert(Num::BodyUppercaseRatio, ratio(letters, upper));
        n.insert(Num::BodyExclamations, bangs as f64);
        self.rawbody_only = html_sources;
    }

    /// What `rawbody` rules read: the text parts, then `rawbody_only`.
    pub fn rawbody(&self) -> [&[String]; 2] {
        [&self.body[..self.shared_text], &self.rawbody_only]
    }
}

/// The part's text; when it is still base64 (the parser gives up on damaged base64, a
/// filter-evasion trick), decoded leniently: characters outside the alphabet are skipped.
fn lenient(part: &mail_parser::MessagePart, text: String) -> String {
    let base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let still_encoded = || {
        text.len() >= 16
            && text.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n' | b'\t' | b' ')
            })
    };
    if !(base64 && still_encoded()) {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of every text and HTML part, moved out of the parsed message (by part index):
/// what mail-parser decoded into its own buffer becomes the facts' text without a second
/// copy; text it borrowed from the raw message is copied once.
fn take_texts(msg: &mut mail_parser::Message) -> Vec<Option<String>> {
    let parts = msg.parts.iter_mut().map(|part| match &mut part.body {
        PartType::Text(t) | PartType::Html(t) => Some(std::mem::take(t).into_owned()),
        _ => None,
    });
    parts.collect()
}

/// An RFC 5322 date as Unix seconds.
fn parse_date(text: &str) -> Option<i64> {
    let header = format!("Date: {}\r\n\r\n", text.trim());
    let msg = MessageParser::default().parse_headers(header.as_bytes())?;
    msg.date().map(|d| d.to_timestamp())
}

fn raw_value(raw: &[u8], start: u32, end: u32) -> String {
    let bytes = raw.get(start as usize..end as usize).unwrap_or_default();
    let text = String::from_utf8_lossy(bytes);
    // Unfold: a header continues on lines that start with white space.
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// ASCII letters and upper-case letters in `bytes`, counted in byte-wide lanes of at most
/// 255 so that the loop compiles to vector instructions.
fn ascii_letters(bytes: &[u8]) -> (usize, usize) {
    let (mut letters, mut upper) = (0, 0);
    for chunk in bytes.chunks(255) {
        let (mut l, mut u) = (0u8, 0u8);
        for &b in chunk {
            l += u8::from((b | 0x20).wrapping_sub(b'a') < 26);
            u += u8::from(b.wrapping_sub(b'A') < 26);
        }
        (letters, upper) = (letters + usize::from(l), upper + usize::from(u));
    }
    (letters, upper)
}

/// Words separated by white space; the ASCII split (no char decoding) when the text allows.
fn word_count(text: &str) -> usize {
    if text.is_ascii() {
        text.split_ascii_whitespace().count()
    } else {
        text.split_whitespace().count()
    }
}

/// Share of upper-case letters among letters; 0 when there are fewer than 10 letters, so
/// that short words like "OK" or "FYI" don't count as shouting.
pub fn uppercase_ratio(text: &str) -> f64 {
    let (letters, upper) = letter_counts(text);
    ratio(letters, upper)
}

fn ratio(letters: usize, upper: usize) -> f64 {
    if letters < 10 {
        0.0
    } else {
        upper as f64 / letters as f64
    }
}

/// Letters and upper-case letters in `text`, of every script.
fn letter_counts(text: &str) -> (usize, usize) {
    let (mut letters, mut upper) = (0usize, 0usize);
    // Byte by byte (the compiler vectorises this) over ASCII runs, which most text mostly
    // is; character by character over the runs that are not.
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = if rest.is_ascii() {
            rest.len()
        } else {
            rest.bytes()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len())
        };
        let (l, u) = ascii_letters(&rest.as_bytes()[..ascii]);
        (letters, upper) = (letters + l, upper + u);
        let mut chars = rest[ascii..].chars();
        while let Some(c) = chars.clone().next().filter(|c| !c.is_ascii()) {
            letters += usize::from(c.is_alphabetic());
            upper += usize::from(c.is_uppercase());
            chars.next();
        }
        rest = chars.as_str();
    }
    (letters, upper)
}

#[cfg(test)]
mod tests;
