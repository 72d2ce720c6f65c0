//! Registrable domain of a host name, for URIBL lookups (URI blocklists list registrable
//! domains, so `a.b.evil.test` is asked as `evil.test`).
//!
//! A small embedded approximation of the Public Suffix List rather than the full list (a
//! dependency and a data file to keep current): the public suffixes of more than one label
//! that spam actually uses (country second levels, common hosting suffixes). Anything else
//! is taken as a one-label suffix. A miss costs a lookup of a too-short domain (no listing),
//! never a false listing of an unrelated domain.

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

/// `www.shop.example.co.uk` → `example.co.uk`. `None` for an IP literal or a bare suffix.
pub fn registrable(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let suffix_len = (2..=n)
        .rev()
        .find(|&k| MULTI.contains(&labels[n - k..].join(".").as_str()))
        .unwrap_or(1);
    (n > suffix_len).then(|| labels[n - suffix_len - 1..].join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domain_of_link_hosts() {
        assert_eq!(registrable("a.b.evil.test").unwrap(), "evil.test");
        assert_eq!(
            registrable("www.shop.example.co.uk").unwrap(),
            "example.co.uk"
        );
        assert_eq!(registrable("phish.github.io").unwrap(), "phish.github.io");
        assert_eq!(registrable("co.uk"), None);
        assert_eq!(registrable("198.51.100.7"), None);
        assert_eq!(registrable("localhost"), None);
    }
}
