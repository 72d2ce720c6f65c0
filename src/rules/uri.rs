//! URIs in text and HTML, their hosts, and links whose visible text names another host than
//! the one they point at (a classic phishing sign).

use regex::Regex;
use std::sync::LazyLock;

static TEXT_URI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'\)\]]+"#).expect("valid regex")
});
static HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:href|src)\s*=\s*["']?([^"'\s>]+)"#).expect("valid regex")
});
static ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>(.*?)</a>"#).expect("valid regex")
});
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("valid regex"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})\b").expect("valid regex")
});

/// Adds every http(s) URI in `text` and in the HTML sources to `uris` (deduplicated), and a
/// `shown-host -> real-host` entry to `mismatches` for each deceptive link.
pub fn collect<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    html: &[String],
    uris: &mut Vec<String>,
    mismatches: &mut Vec<String>,
) {
    for text in texts {
        for m in TEXT_URI.find_iter(text) {
            uris.push(trim_uri(m.as_str()));
        }
    }
    for h in html {
        for c in HREF.captures_iter(h) {
            let u = &c[1];
            // Bytes, not `&u[..4]`: a multi-byte character across byte 4 (`src="日本.png"`)
            // would panic the string slice.
            if u.len() > 4
                && (u.as_bytes()[..4].eq_ignore_ascii_case(b"http") || u.starts_with("www."))
            {
                uris.push(trim_uri(u));
            }
        }
        for c in ANCHOR.captures_iter(h) {
            if let Some(m) = mismatch(&c[1], &c[2]) {
                mismatches.push(m);
            }
        }
    }
    uris.sort();
    uris.dedup();
}

fn trim_uri(u: &str) -> String {
    u.trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .to_string()
}

fn mismatch(href: &str, inner: &str) -> Option<String> {
    let real = host(href)?;
    let shown_text = TAG.replace_all(inner, " ");
    let shown = DOMAIN
        .captures(&shown_text)?
        .get(1)?
        .as_str()
        .to_ascii_lowercase();
    let (s, r) = (strip_www(&shown), strip_www(&real));
    if s == r || r.ends_with(&format!(".{s}")) || s.ends_with(&format!(".{r}")) {
        return None;
    }
    // Text like "file.pdf" or "v1.2" is not a host name claim.
    if !shown.contains("www.")
        && !shown_text.to_ascii_lowercase().contains("http")
        && !known_tld(&shown)
    {
        return None;
    }
    Some(format!("{shown} -> {real}"))
}

fn known_tld(host: &str) -> bool {
    let tld = host.rsplit('.').next().unwrap_or("");
    matches!(
        tld,
        "com"
            | "net"
            | "org"
            | "edu"
            | "gov"
            | "io"
            | "co"
            | "uk"
            | "de"
            | "fr"
            | "info"
            | "biz"
            | "us"
            | "ca"
            | "au"
            | "test"
    )
}

fn strip_www(h: &str) -> &str {
    h.strip_prefix("www.").unwrap_or(h)
}

/// The lower-case host of an http(s) or `www.` URI, without user info or port.
pub fn host(uri: &str) -> Option<String> {
    let rest = match uri.find("://") {
        Some(i) => &uri[i + 3..],
        None => uri,
    };
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests;
