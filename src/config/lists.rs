//! The `lists` section: allow and deny lists of clients (CIDR), HELO names, envelope senders,
//! sender domains and recipients. Each entry is written in the config or kept in a file
//! (`{file: path}`, one entry per line, `#` comments) that is read again at every reload, so
//! a list edited by a script takes effect with SIGHUP, `POST /reload` or the file watch.
//!
//! Where each list applies is decided by the server (`crate::checks::lists`); this file only parses,
//! validates and matches.

use super::cidr::Cidr;
use serde::Deserialize;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLists {
    pub allow: RawList,
    pub deny: RawList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawList {
    pub senders: Vec<RawEntry>,
    pub domains: Vec<RawEntry>,
    pub clients: Vec<RawEntry>,
    pub helo: Vec<RawEntry>,
    pub recipients: Vec<RawEntry>,
}

/// One item of a list: a value, or `{file: path}` naming a file of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEntry {
    Value(String),
    File(String),
}

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawEntry, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = RawEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list entry (string) or `{file: path}`")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawEntry, E> {
        Ok(RawEntry::Value(v.to_string()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawEntry, A::Error> {
        use serde::de::Error;
        let mut file = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "file" {
                return Err(A::Error::unknown_field(&key, &["file"]));
            }
            if file.replace(map.next_value::<String>()?).is_some() {
                return Err(A::Error::duplicate_field("file"));
            }
        }
        file.map(RawEntry::File)
            .ok_or_else(|| A::Error::missing_field("file"))
    }
}

/// One validated list (allow or deny).
#[derive(Debug, Clone, Default)]
pub struct List {
    /// Lower-case envelope sender addresses.
    pub senders: HashSet<String>,
    /// Lower-case sender domains; a domain also covers its subdomains.
    pub domains: HashSet<String>,
    pub clients: Vec<Cidr>,
    /// HELO/EHLO names: exact (lower case) …
    pub helo_names: HashSet<String>,
    /// … and `*.suffix` patterns, stored as `suffix`: any name below it.
    pub helo_suffixes: HashSet<String>,
    /// Recipients: whole addresses, `@domain` (stored as `domain`) and `local@` (as `local`).
    pub recipient_addresses: HashSet<String>,
    pub recipient_domains: HashSet<String>,
    pub recipient_locals: HashSet<String>,
    /// The files the entries came from, watched for changes like the config file.
    pub files: Vec<PathBuf>,
}

impl List {
    /// The envelope sender, its domain, or the client is listed: why, for the log.
    pub fn matches(&self, sender: &str, client: IpAddr) -> Option<String> {
        self.sender(sender).or_else(|| self.client(client))
    }

    pub fn sender(&self, sender: &str) -> Option<String> {
        let sender = sender.to_ascii_lowercase();
        if self.senders.contains(&sender) {
            return Some(format!("sender {sender}"));
        }
        let (_, domain) = sender.rsplit_once('@')?;
        domain_or_parent(&self.domains, domain).map(|d| format!("sender domain {d}"))
    }

    pub fn client(&self, client: IpAddr) -> Option<String> {
        self.clients
            .iter()
            .any(|c| c.contains(client))
            .then(|| format!("client {client}"))
    }

    pub fn helo(&self, name: &str) -> Option<String> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if self.helo_names.contains(&name) {
            return Some(format!("HELO {name}"));
        }
        let (_, parent) = name.split_once('.')?;
        domain_or_parent(&self.helo_suffixes, parent).map(|s| format!("HELO *.{s}"))
    }

    pub fn recipient(&self, address: &str) -> Option<String> {
        let address = address.to_ascii_lowercase();
        if self.recipient_addresses.contains(&address) {
            return Some(format!("recipient {address}"));
        }
        let (local, domain) = address.rsplit_once('@')?;
        if self.recipient_domains.contains(domain) {
            return Some(format!("recipient @{domain}"));
        }
        self.recipient_locals
            .contains(local)
            .then(|| format!("recipient {local}@"))
    }
}

/// `domain` itself or the nearest of its parents that is in `set`.
fn domain_or_parent<'a>(set: &HashSet<String>, mut domain: &'a str) -> Option<&'a str> {
    loop {
        if domain.is_empty() {
            return None;
        }
        if set.contains(domain) {
            return Some(domain);
        }
        domain = domain.split_once('.')?.1;
    }
}

/// Which field of a list an entry belongs to; says how an entry is parsed.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Senders,
    Domains,
    Clients,
    Helo,
    Recipients,
}

/// Validates one list; relative file paths are relative to `base` (the config's directory).
/// `push(key, message)` records an error; an error in a file names the file and its line.
pub fn build(raw: RawList, key: &str, base: &Path, push: &mut dyn FnMut(&str, String)) -> List {
    let mut list = List::default();
    let fields = [
        (raw.senders, "senders", Kind::Senders),
        (raw.domains, "domains", Kind::Domains),
        (raw.clients, "clients", Kind::Clients),
        (raw.helo, "helo", Kind::Helo),
        (raw.recipients, "recipients", Kind::Recipients),
    ];
    for (entries, field, kind) in fields {
        for (i, entry) in entries.into_iter().enumerate() {
            let at = format!("{key}.{field}[{i}]");
            match entry {
                RawEntry::Value(v) => {
                    if let Err(e) = list.add(kind, &v) {
                        push(&at, e);
                    }
                }
                RawEntry::File(f) => list.add_file(kind, &base.join(f), &mut |m| push(&at, m)),
            }
        }
    }
    list
}

impl List {
    /// Reads a list file: one entry per line; blank lines and `#` comments are skipped.
    fn add_file(&mut self, kind: Kind, path: &Path, push: &mut dyn FnMut(String)) {
        self.files.push(path.to_path_buf());
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return push(format!("cannot read list file {}: {e}", path.display())),
        };
        for (n, line) in text.lines().enumerate() {
            let entry = strip_comment(line).trim();
            if entry.is_empty() {
                continue;
            }
            if let Err(e) = self.add(kind, entry) {
                push(format!("{}:{}: {e}", path.display(), n + 1));
            }
        }
    }

    fn add(&mut self, kind: Kind, value: &str) -> Result<(), String> {
        let v = value.trim().to_ascii_lowercase();
        if v.is_empty() || v.contains(char::is_whitespace) {
            return Err(format!(
                "`{value}` is not a list entry (empty or with spaces)"
            ));
        }
        match kind {
            Kind::Clients => self.clients.push(v.parse()?),
            Kind::Senders => _ = self.senders.insert(address_key(&v, value)?),
            Kind::Domains => _ = self.domains.insert(hostname(&v, value)?),
            Kind::Helo => match v.strip_prefix("*.") {
                Some(suffix) => _ = self.helo_suffixes.insert(hostname(suffix, value)?),
                None => _ = self.helo_names.insert(v.trim_end_matches('.').to_string()),
            },
            Kind::Recipients => self.add_recipient(&v, value)?,
        }
        Ok(())
    }

    fn add_recipient(&mut self, v: &str, value: &str) -> Result<(), String> {
        match v.rsplit_once('@') {
            Some(("", domain)) => _ = self.recipient_domains.insert(hostname(domain, value)?),
            Some((local, "")) => {
                let key = address_key(&format!("{local}@local.invalid"), value)?;
                let local = key.rsplit_once('@').map_or(key.as_str(), |(l, _)| l);
                _ = self.recipient_locals.insert(local.to_string());
            }
            Some(_) => _ = self.recipient_addresses.insert(address_key(v, value)?),
            None => {
                return Err(format!(
                    "`{value}` is not a recipient (local@domain, @domain or local@)"
                ));
            }
        }
        Ok(())
    }
}

/// An address entry in the canonical form the session compares against
/// ([`crate::address::Mailbox::key`]): `"Bob"@Example.TEST` is `bob@example.test`.
fn address_key(v: &str, original: &str) -> Result<String, String> {
    crate::address::parse_mailbox(v)
        .map(|m| m.key())
        .map_err(|_| format!("`{original}` is not an address (local@domain)"))
}

/// A domain as written (a leading `@` or trailing dot allowed), in canonical form (lower case,
/// IDNA A-labels), or why it is not one.
fn hostname(v: &str, original: &str) -> Result<String, String> {
    let d = v.trim_start_matches('@').trim_end_matches('.');
    let d = crate::address::canonical_domain(d).unwrap_or_default();
    let ok = !d.is_empty()
        && d.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if ok {
        Ok(d)
    } else {
        Err(format!("`{original}` is not a domain name"))
    }
}

/// Drops a `#` comment: at the start of the line or after whitespace (a `#` inside an entry,
/// legal in an address's local part, stays).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

#[cfg(test)]
mod tests;
