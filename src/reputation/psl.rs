//! Registrable domain of a host name, for URIBL lookups (URI blocklists list registrable
//! domains, so `a.b.evil.test` is asked as `evil.test`).
//!
//! The full Public Suffix List is read from a file (`reputation.public_suffix_list`; by default
//! Debian's `publicsuffix` package, `/usr/share/publicsuffix/public_suffix_list.dat`, which the
//! distribution keeps current), with its wildcard (`*.ck`) and exception (`!www.ck`) rules.
//! Without the file, a small embedded approximation serves: the public suffixes of more than
//! one label that spam actually uses (country second levels, common hosting suffixes), anything
//! else taken as a one-label suffix. A miss costs a lookup of a too-short domain (no listing),
//! never a false listing of an unrelated domain.

use std::collections::HashSet;

/// Multi-label public suffixes (lower case).
const MULTI: &[&str] = &[
    "co.uk",
    "org.uk",
    "me.uk",
    "ltd.uk",
    "plc.uk",
    "net.uk",
    "ac.uk",
    "gov.uk",
    "com.au",
    "net.au",
    "org.au",
    "edu.au",
    "co.nz",
    "net.nz",
    "org.nz",
    "co.jp",
    "ne.jp",
    "or.jp",
    "co.kr",
    "or.kr",
    "com.br",
    "net.br",
    "org.br",
    "com.cn",
    "net.cn",
    "org.cn",
    "com.tw",
    "com.hk",
    "com.sg",
    "com.my",
    "com.mx",
    "com.ar",
    "com.co",
    "com.tr",
    "com.ua",
    "com.pl",
    "com.ru",
    "co.in",
    "net.in",
    "org.in",
    "co.za",
    "co.il",
    "co.id",
    "or.id",
    "com.vn",
    "com.ph",
    "com.pk",
    "com.ng",
    "com.eg",
    "com.sa",
    "co.th",
    "in.th",
    "blogspot.com",
    "github.io",
    "herokuapp.com",
    "appspot.com",
    "azurewebsites.net",
    "cloudfront.net",
    "web.app",
    "firebaseapp.com",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
    "000webhostapp.com",
    "weebly.com",
    "wixsite.com",
    "duckdns.org",
    "no-ip.org",
    "ddns.net",
];

/// Where Debian's `publicsuffix` package installs the list.
pub const DEBIAN_PATH: &str = "/usr/share/publicsuffix/public_suffix_list.dat";

/// Public suffix rules: plain (`co.uk`), wildcard (`*.ck`, stored as `ck`) and exception
/// (`!www.ck`, stored as `www.ck`), all lower case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SuffixList {
    plain: HashSet<String>,
    wildcard: HashSet<String>,
    exception: HashSet<String>,
    /// Where the rules came from, for logs (`builtin` or a path).
    pub source: String,
}

impl SuffixList {
    /// The small embedded list.
    pub fn builtin() -> SuffixList {
        SuffixList {
            plain: MULTI.iter().map(|s| s.to_string()).collect(),
            source: "builtin".into(),
            ..SuffixList::default()
        }
    }

    /// Parses the list's format: one rule per line, `//` comments, blank lines ignored, only
    /// the first word of a line counts. Errors give the 1-based line.
    pub fn parse(text: &str, source: &str) -> Result<SuffixList, (usize, String)> {
        let mut list = SuffixList {
            source: source.into(),
            ..SuffixList::default()
        };
        for (i, line) in text.lines().enumerate() {
            let Some(rule) = line.split_whitespace().next() else {
                continue;
            };
            if rule.starts_with("//") {
                continue;
            }
            let rule = rule.trim_end_matches('.').to_lowercase();
            let (set, name) = if let Some(name) = rule.strip_prefix('!') {
                (&mut list.exception, name)
            } else if let Some(name) = rule.strip_prefix("*.") {
                (&mut list.wildcard, name)
            } else {
                (&mut list.plain, rule.as_str())
            };
            if name.is_empty()
                || name.contains(['*', '!', '/'])
                || name.split('.').any(str::is_empty)
            {
                return Err((i + 1, format!("`{rule}` is not a public suffix rule")));
            }
            set.insert(name.to_string());
        }
        if list.plain.is_empty() && list.wildcard.is_empty() {
            return Err((0, "no public suffix rules".into()));
        }
        Ok(list)
    }

    /// Number of labels of the public suffix of `labels` (the PSL algorithm: the longest
    /// matching rule wins, an exception rule wins over all and drops its leftmost label, and
    /// an unlisted top-level label is a suffix of its own).
    fn suffix_len(&self, labels: &[&str]) -> usize {
        let n = labels.len();
        let mut best = 1;
        for k in 1..=n {
            let name = labels[n - k..].join(".");
            if self.exception.contains(&name) {
                return k - 1;
            }
            if self.plain.contains(&name) {
                best = best.max(k);
            }
            if k < n && self.wildcard.contains(&name) {
                best = best.max(k + 1);
            }
        }
        best
    }

    /// `www.shop.example.co.uk` → `example.co.uk`. `None` for an IP literal or a bare suffix.
    pub fn registrable(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.').to_lowercase();
        if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
            return None;
        }
        let labels: Vec<&str> = host.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return None;
        }
        let suffix = self.suffix_len(&labels);
        (labels.len() > suffix).then(|| labels[labels.len() - suffix - 1..].join("."))
    }
}

#[cfg(test)]
mod tests;
