//! SPF records (RFC 7208 sections 4.5, 4.6, 5, 6 and 12): which TXT strings are SPF records,
//! and the whole record parsed against the ABNF before anything is evaluated, so that a
//! syntax error anywhere is a permerror even after a matching mechanism (4.6).

use super::macros::{Context, MacroString};
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    /// `a` and `mx`: the target (current domain when absent) and the two CIDR lengths.
    A(Option<MacroString>, Cidr),
    Mx(Option<MacroString>, Cidr),
    Ptr(Option<MacroString>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(MacroString),
}

impl Mechanism {
    /// Mechanisms that query DNS count toward the limit of 10 (RFC 7208 4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4(..) | Mechanism::Ip6(..)
        )
    }
}

/// `dual-cidr-length`: prefix lengths for IPv4 and IPv6 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub v4: u8,
    pub v6: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub directives: Vec<Directive>,
    pub redirect: Option<MacroString>,
    pub exp: Option<MacroString>,
}

/// The record breaks the ABNF; the text says where, for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

/// Whether a TXT string is an SPF version 1 record: `v=spf1` then a space or the end (4.5).
pub fn is_spf(txt: &[u8]) -> bool {
    txt.len() >= 6 && txt[..6].eq_ignore_ascii_case(b"v=spf1") && (txt.len() == 6 || txt[6] == b' ')
}

impl Record {
    /// Parses a record that `is_spf` accepted.
    pub fn parse(txt: &[u8]) -> Result<Record, SyntaxError> {
        let text = std::str::from_utf8(txt)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or_else(|| SyntaxError("non-ASCII record".into()))?;
        let mut record = Record::default();
        for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
            record
                .term(term)
                .map_err(|()| SyntaxError(format!("bad term {term:?}")))?;
        }
        Ok(record)
    }

    fn term(&mut self, term: &str) -> Result<(), ()> {
        if let Some((name, value)) = modifier(term) {
            return self.modifier(name, value);
        }
        let (qualifier, rest) = match term.as_bytes()[0] {
            b'+' => (Qualifier::Pass, &term[1..]),
            b'-' => (Qualifier::Fail, &term[1..]),
            b'~' => (Qualifier::SoftFail, &term[1..]),
            b'?' => (Qualifier::Neutral, &term[1..]),
            _ => (Qualifier::Pass, term),
        };
        let mechanism = mechanism(rest)?;
        self.directives.push(Directive {
            qualifier,
            mechanism,
        });
        Ok(())
    }

    fn modifier(&mut self, name: &str, value: &str) -> Result<(), ()> {
        let slot = if name.eq_ignore_ascii_case("redirect") {
            &mut self.redirect
        } else if name.eq_ignore_ascii_case("exp") {
            &mut self.exp
        } else {
            // Unknown modifiers are ignored, but must still be valid macro strings (6).
            MacroString::parse(value, Context::Record).map_err(|_| ())?;
            return Ok(());
        };
        // Each of these modifiers may appear at most once (6).
        if slot.is_some() {
            return Err(());
        }
        *slot = Some(domain_spec(value)?);
        Ok(())
    }
}

/// `name "=" macro-string` where name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
fn modifier(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once('=')?;
    let mut chars = name.bytes();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    valid.then_some((name, value))
}

fn mechanism(text: &str) -> Result<Mechanism, ()> {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let (name, rest) = text.split_at(name_len);
    match name.to_ascii_lowercase().as_str() {
        "all" if rest.is_empty() => Ok(Mechanism::All),
        "include" => Ok(Mechanism::Include(required_target(rest)?)),
        "exists" => Ok(Mechanism::Exists(required_target(rest)?)),
        "ptr" => Ok(Mechanism::Ptr(optional_target(rest)?)),
        "a" => {
            let (target, cidr) = target_and_cidr(rest)?;
            Ok(Mechanism::A(target, cidr))
        }
        "mx" => {
            let (target, cidr) = target_and_cidr(rest)?;
            Ok(Mechanism::Mx(target, cidr))
        }
        "ip4" => {
            let (addr, len) = network(rest.strip_prefix(':').ok_or(())?, 32)?;
            Ok(Mechanism::Ip4(addr.parse().map_err(|_| ())?, len))
        }
        "ip6" => {
            let (addr, len) = network(rest.strip_prefix(':').ok_or(())?, 128)?;
            Ok(Mechanism::Ip6(addr.parse().map_err(|_| ())?, len))
        }
        _ => Err(()),
    }
}

/// `":" domain-spec`, required.
fn required_target(rest: &str) -> Result<MacroString, ()> {
    domain_spec(rest.strip_prefix(':').ok_or(())?)
}

/// `[ ":" domain-spec ]`.
fn optional_target(rest: &str) -> Result<Option<MacroString>, ()> {
    match rest {
        "" => Ok(None),
        _ => required_target(rest).map(Some),
    }
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]`: the CIDR suffix is split off first, so a
/// `/` elsewhere in the domain-spec stays part of it.
fn target_and_cidr(rest: &str) -> Result<(Option<MacroString>, Cidr), ()> {
    let mut cidr = Cidr { v4: 32, v6: 128 };
    let mut rest = rest;
    if let Some((before, len)) = split_length(rest, "//") {
        cidr.v6 = length(len, 128)?;
        rest = before;
    }
    if let Some((before, len)) = split_length(rest, "/") {
        cidr.v4 = length(len, 32)?;
        rest = before;
    }
    Ok((optional_target(rest)?, cidr))
}

/// `text` = `before` `sep` digits, if it ends so.
fn split_length<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (before, len) = text.rsplit_once(sep)?;
    let digits = !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit());
    // "a//64" must not be read as an IPv4 length with an empty target before a stray "/".
    (digits && !(sep == "/" && before.ends_with('/'))).then_some((before, len))
}

/// A CIDR length: no leading zeros, at most `max` (RFC 7208 5.6 ABNF).
fn length(text: &str, max: u8) -> Result<u8, ()> {
    if text.len() > 1 && text.starts_with('0') {
        return Err(());
    }
    let n: u16 = text.parse().map_err(|_| ())?;
    u8::try_from(n).ok().filter(|n| *n <= max).ok_or(())
}

/// `ip4-network [ "/" length ]` or the IPv6 equivalent.
fn network(text: &str, max: u8) -> Result<(&str, u8), ()> {
    match text.split_once('/') {
        Some((addr, len)) => Ok((addr, length(len, max)?)),
        None => Ok((text, max)),
    }
}

/// `domain-spec = macro-string domain-end`, where `domain-end` is a macro expansion or
/// `"." toplabel ["."]` (RFC 7208 7.1).
fn domain_spec(text: &str) -> Result<MacroString, ()> {
    let spec = MacroString::parse(text, Context::Record).map_err(|_| ())?;
    if spec.ends_with_expand() {
        return Ok(spec);
    }
    let tail = spec.literal_tail();
    let tail = tail.strip_suffix('.').unwrap_or(tail);
    let (_, top) = tail.rsplit_once('.').ok_or(())?;
    toplabel(top).then_some(spec).ok_or(())
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`.
fn toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
}
