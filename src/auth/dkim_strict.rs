//! The checks a DKIM-Signature, ARC-Message-Signature or ARC-Seal must pass before its
//! signature is worth verifying — the ones mail-auth 0.13 skips or reads loosely (see
//! docs/decisions.md, "ARC and DKIM verification"):
//!
//! - the tag-list grammar, duplicates included (RFC 6376 3.2, `taglist`);
//! - every required tag present and well-formed: a `DKIM-Signature` without `v=1` is a
//!   PERMFAIL (RFC 6376 6.1.1), `a=` is required (the library assumed rsa-sha256);
//! - `rsa-sha1` is never valid (RFC 8301 3.1);
//! - an ARC-Message-Signature must not sign ARC-Seal fields, an ARC-Seal has no `h=`, and
//!   `i=` and `cv=` have their RFC 8617 4.1 values.
//!
//! A field that fails here is never handed to the library: a DKIM signature becomes
//! `dkim=permerror` with the reason, an ARC set makes the chain fail.

use super::taglist::TagList;

/// Which kind of field is checked: the three share DKIM's syntax with different tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dkim,
    /// ARC-Message-Signature (RFC 8617 4.1.2).
    Ams,
    /// ARC-Seal (RFC 8617 4.1.3).
    Seal,
}

/// The seal's chain validation status, RFC 8617 4.1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cv {
    None,
    Pass,
    Fail,
}

/// What later checks need from a field that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `d=`, lower case.
    pub domain: String,
    pub selector: String,
    /// `i=` of an ARC field (1 to 50).
    pub instance: Option<u32>,
    /// `cv=` of an ARC-Seal.
    pub cv: Option<Cv>,
}

/// RFC 8617 4.2.1: at most 50 ARC sets.
pub const MAX_INSTANCE: u32 = 50;

impl Kind {
    fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Dkim => &["v", "a", "b", "bh", "d", "h", "s"],
            Kind::Ams => &["i", "a", "b", "bh", "d", "h", "s"],
            Kind::Seal => &["i", "a", "b", "cv", "d", "s"],
        }
    }
}

/// Checks one field's value (the text after `Name:`); the error says what is wrong.
pub fn check(value: &[u8], kind: Kind) -> Result<Checked, String> {
    let tags = TagList::parse(value).map_err(|e| e.to_string())?;
    for name in kind.required() {
        match tags.get(name) {
            None => return Err(format!("no {name}= tag")),
            Some([]) => return Err(format!("empty {name}= tag")),
            Some(_) => {}
        }
    }
    if kind == Kind::Dkim && tags.get("v") != Some(b"1") {
        return Err("v= is not 1, RFC 6376 6.1.1".into());
    }
    algorithm(tags.text("a").unwrap_or(""), kind)?;
    base64(&tags, "b")?;
    if kind != Kind::Seal {
        base64(&tags, "bh")?;
    }
    let domain = tags.text("d").unwrap_or("");
    if !domain_name(domain) {
        return Err("invalid d= domain".into());
    }
    let selector = tags.text("s").unwrap_or("");
    if !domain_name(selector) {
        return Err("invalid s= selector".into());
    }
    match kind {
        Kind::Seal if tags.get("h").is_some() => {
            return Err("h= in an ARC-Seal, RFC 8617 4.1.3".into());
        }
        Kind::Seal => {}
        Kind::Dkim | Kind::Ams => signed_fields(&tags, kind)?,
    }
    if let Some(c) = tags.text("c")
        && !canonicalization(c)
    {
        return Err("invalid c= canonicalization".into());
    }
    if let Some(q) = tags.get("q")
        && !q
            .split(|&b| b == b':')
            .any(|m| m.trim_ascii() == b"dns/txt")
    {
        return Err("q= without dns/txt".into());
    }
    times(&tags)?;
    // Moat verifies DKIM `l=` (and reports unsigned content, `dkim_length`); an ARC chain
    // vouches for the whole message or nothing, so an AMS that signs part of it fails.
    if kind == Kind::Ams && tags.get("l").is_some() {
        return Err("l= in an ARC-Message-Signature: part of the body unsigned".into());
    }
    let instance = match kind {
        Kind::Dkim => {
            auid(&tags, domain)?;
            None
        }
        Kind::Ams | Kind::Seal => Some(instance(tags.text("i"))?),
    };
    let cv = match (kind, tags.get("cv")) {
        (Kind::Seal, Some(b"none")) => Some(Cv::None),
        (Kind::Seal, Some(b"pass")) => Some(Cv::Pass),
        (Kind::Seal, Some(b"fail")) => Some(Cv::Fail),
        (Kind::Seal, _) => return Err("invalid cv= value".into()),
        _ => None,
    };
    Ok(Checked {
        domain: domain.to_ascii_lowercase(),
        selector: selector.to_string(),
        instance,
        cv,
    })
}

/// DKIM: rsa-sha256 and ed25519-sha256 (RFC 8463); ARC: rsa-sha256 (RFC 8617 4.1.3).
/// rsa-sha1 is named separately because RFC 8301 3.1 forbids it outright.
fn algorithm(a: &str, kind: Kind) -> Result<(), String> {
    match a {
        "rsa-sha256" => Ok(()),
        "ed25519-sha256" if kind == Kind::Dkim => Ok(()),
        "rsa-sha1" => Err("a=rsa-sha1 is not valid, RFC 8301 3.1".into()),
        _ => Err("unknown a= algorithm".into()),
    }
}

/// base64 with folding white space (RFC 6376 2.4): alphabet, then at most two `=`, length a
/// multiple of 4.
fn base64(tags: &TagList<'_>, name: &str) -> Result<(), String> {
    let v = tags.compact(name).unwrap_or_default();
    let body = v.strip_suffix(b"==").or(v.strip_suffix(b"=")).unwrap_or(&v);
    let ok = !v.is_empty()
        && v.len().is_multiple_of(4)
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(format!("{name}= is not base64"))
    }
}

/// A domain or selector: dot-separated non-empty labels of letters, digits, `-`, `_` (or
/// UTF-8, RFC 8616).
fn domain_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || b >= 0x80)
        })
}

/// `h=`: colon-separated field names; a DKIM signature must sign From (RFC 6376 6.1.1), an
/// ARC-Message-Signature must not sign ARC-Seal (RFC 8617 4.1.2).
fn signed_fields(tags: &TagList<'_>, kind: Kind) -> Result<(), String> {
    let h = tags.compact("h").unwrap_or_default();
    let names: Vec<&[u8]> = h.split(|&b| b == b':').collect();
    if names
        .iter()
        .any(|n| n.is_empty() || !n.iter().all(|b| (0x21..=0x7E).contains(b)))
    {
        return Err("invalid h= list".into());
    }
    let has = |field: &[u8]| names.iter().any(|n| n.eq_ignore_ascii_case(field));
    match kind {
        Kind::Dkim if !has(b"from") => Err("h= does not sign From, RFC 6376 6.1.1".into()),
        Kind::Ams if has(b"arc-seal") => Err("AMS signs ARC-Seal, RFC 8617 4.1.2".into()),
        _ => Ok(()),
    }
}

fn canonicalization(c: &str) -> bool {
    let one = |s: &str| matches!(s, "simple" | "relaxed");
    match c.split_once('/') {
        Some((header, body)) => one(header) && one(body),
        None => one(c),
    }
}

fn number(tags: &TagList<'_>, name: &str) -> Result<Option<u64>, String> {
    match tags.text(name) {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(v.parse().ok())
        }
        Some(_) => Err(format!("{name}= is not a number")),
    }
}

/// `t=`, `x=`, `l=` are decimal; an expiry before the signing time is invalid (RFC 6376
/// 3.5). Whether `x=` has passed is the library's check (it knows the clock).
fn times(tags: &TagList<'_>) -> Result<(), String> {
    number(tags, "l")?;
    let t = number(tags, "t")?;
    let x = number(tags, "x")?;
    if let (Some(t), Some(x)) = (t, x)
        && x < t
    {
        return Err("x= before t=".into());
    }
    Ok(())
}

/// DKIM `i=`: an address whose domain is `d=` or below it (RFC 6376 6.1.1).
fn auid(tags: &TagList<'_>, domain: &str) -> Result<(), String> {
    let Some(i) = tags.text("i") else {
        return Ok(());
    };
    let Some((_, at)) = i.rsplit_once('@') else {
        return Err("i= is not an address".into());
    };
    let (at, d) = (at.to_ascii_lowercase(), domain.to_ascii_lowercase());
    if at == d || at.ends_with(&format!(".{d}")) {
        Ok(())
    } else {
        Err("i= domain is not d= or below it, RFC 6376 6.1.1".into())
    }
}

/// ARC `i=`: 1 to 50 (RFC 8617 4.2.1).
fn instance(i: Option<&str>) -> Result<u32, String> {
    let n = i
        .filter(|v| (1..=2).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u32>().ok());
    match n {
        Some(n) if (1..=MAX_INSTANCE).contains(&n) => Ok(n),
        _ => Err("invalid i= instance".into()),
    }
}

/// `d=` and `s=` of a field for the header and the logs, even when it is invalid: the
/// first occurrence of each, read leniently.
pub fn label(value: &[u8]) -> (String, String) {
    let mut d = None;
    let mut s = None;
    for spec in value.split(|&b| b == b';') {
        let Some((name, v)) = std::str::from_utf8(spec)
            .ok()
            .and_then(|t| t.split_once('='))
        else {
            continue;
        };
        let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        match name.trim() {
            "d" if d.is_none() => d = Some(v.to_ascii_lowercase()),
            "s" if s.is_none() => s = Some(v),
            _ => {}
        }
    }
    (d.unwrap_or_default(), s.unwrap_or_default())
}

#[cfg(test)]
mod tests;
