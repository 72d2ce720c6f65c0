//! A held message made safe to show: its headers as text, its body as the text part or as
//! HTML cleaned by ammonia, its attachments as a list. The page must stay inert whatever
//! the sender wrote: no script, no style, no image or other remote content, and links shown
//! as text rather than followed. The page's CSP forbids all of it too (`pages::CSP`).

use mail_parser::{MessageParser, MimeHeaders};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Bytes of a body shown at most; the rest is cut (the message can be released to read it).
const MAX_BODY: usize = 256 * 1024;

pub struct Shown {
    /// Every header field, unfolded, as `Name: value` text.
    pub headers: Vec<(String, String)>,
    /// The text part, shown in a `<pre>`.
    pub text: Option<String>,
    /// Sanitised HTML (only when there is no text part, or the text part is empty).
    pub html: Option<String>,
    /// Link targets found in the HTML, listed as text.
    pub links: Vec<String>,
    /// (file name, content type, size) of each attachment.
    pub attachments: Vec<(String, String, usize)>,
}

pub fn show(raw: &[u8]) -> Shown {
    let mut shown = Shown {
        headers: header_lines(raw),
        text: None,
        html: None,
        links: Vec::new(),
        attachments: Vec::new(),
    };
    let Some(m) = MessageParser::default().parse(raw) else {
        shown.text = Some(String::from_utf8_lossy(&raw[..raw.len().min(MAX_BODY)]).into_owned());
        return shown;
    };
    // mail-parser turns an HTML-only message into text for `body_text`: only a real
    // text/plain part is shown as text, so that the HTML goes through the sanitiser and its
    // links are listed.
    let real_text = m
        .text_part(0)
        .is_some_and(|p| matches!(p.body, mail_parser::PartType::Text(_)));
    if let Some(text) = m.body_text(0).filter(|t| real_text && !t.trim().is_empty()) {
        shown.text = Some(cut(&text).to_string());
    } else if let Some(html) = m.body_html(0) {
        let (clean, links) = sanitise(cut(&html));
        shown.html = Some(clean);
        shown.links = links;
    }
    for a in m.attachments() {
        let name = a.attachment_name().unwrap_or("(no name)").to_string();
        let kind = a
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        shown.attachments.push((name, kind, a.len()));
    }
    shown
}

fn cut(s: &str) -> &str {
    if s.len() <= MAX_BODY {
        return s;
    }
    let mut end = MAX_BODY;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// ammonia with nothing that fetches or runs: no `img`, no `style` attribute or element
/// (ammonia drops both, with a `<style>`'s content), every URL attribute removed — link
/// targets are collected to be listed as text instead.
pub fn sanitise(html: &str) -> (String, Vec<String>) {
    let links = Arc::new(Mutex::new(Vec::new()));
    let found = links.clone();
    let mut tags: HashSet<&str> = ammonia::Builder::default().clone_tags();
    for t in ["img", "picture", "source", "video", "audio", "area", "map"] {
        tags.remove(t);
    }
    let clean = ammonia::Builder::default()
        .tags(tags)
        .link_rel(None)
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                (_, "href") | (_, "src") | (_, "cite") | (_, "srcset") | (_, "longdesc") => {
                    if element == "a" && !value.is_empty() {
                        found.lock().expect("links lock").push(value.to_string());
                    }
                    None
                }
                _ => Some(value.into()),
            },
        )
        .clean(html)
        .to_string();
    let mut links = std::mem::take(&mut *links.lock().expect("links lock"));
    links.dedup();
    (clean, links)
}

/// The header section's fields, unfolded, control characters replaced.
fn header_lines(raw: &[u8]) -> Vec<(String, String)> {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let text = String::from_utf8_lossy(&raw[..end.min(MAX_BODY)]);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.to_string(), v.trim().to_string()));
        }
    }
    for (_, v) in &mut out {
        *v = v
            .chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests;
