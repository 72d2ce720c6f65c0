//! Macro strings (RFC 7208 section 7): parsed once with the record, expanded per query.
//!
//! A macro string is literal text with `%{…}` expansions and the escapes `%%`, `%_`, `%-`.
//! Parsing enforces the ABNF (visible ASCII only, known macro letters, `c`/`r`/`t` only in
//! explanations), so a malformed record is a permerror before any lookup is made.

use std::net::IpAddr;

/// One piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(String),
    /// `%{letter digits r delimiters}`.
    Expand(Expand),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expand {
    /// Lower-case macro letter.
    pub letter: u8,
    /// An upper-case letter asks for the value URL-escaped (RFC 7208 7.3).
    pub escape: bool,
    /// Keep this many right-hand parts (after reversal).
    pub keep: Option<usize>,
    pub reverse: bool,
    /// Characters that split the value; `.` when none are given.
    pub delimiters: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString(pub Vec<Token>);

/// Where a macro string appears: explanations allow spaces and the `c`, `r`, `t` macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Record,
    Explanation,
}

/// The macro string is not valid under the ABNF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid;

impl MacroString {
    pub fn parse(text: &str, context: Context) -> Result<MacroString, Invalid> {
        let bytes = text.as_bytes();
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b'%' {
                let visible = (0x21..=0x7e).contains(&b);
                if !(visible || (b == b' ' && context == Context::Explanation)) {
                    return Err(Invalid);
                }
                literal.push(b as char);
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                Some(b'%') => literal.push('%'),
                Some(b'_') => literal.push(' '),
                Some(b'-') => literal.push_str("%20"),
                Some(b'{') => {
                    let end = text[i..].find('}').ok_or(Invalid)? + i;
                    if !literal.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut literal)));
                    }
                    tokens.push(Token::Expand(expand(&bytes[i + 2..end], context)?));
                    i = end + 1;
                    continue;
                }
                _ => return Err(Invalid),
            }
            i += 2;
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(MacroString(tokens))
    }

    /// Whether the string ends in a macro expansion (a valid `domain-end` by itself).
    pub fn ends_with_expand(&self) -> bool {
        matches!(self.0.last(), Some(Token::Expand(_)))
    }

    /// The literal text after the last expansion.
    pub fn literal_tail(&self) -> &str {
        match self.0.last() {
            Some(Token::Literal(text)) => text,
            _ => "",
        }
    }

    pub fn expand(&self, values: &dyn Values) -> String {
        let mut out = String::new();
        for token in &self.0 {
            match token {
                Token::Literal(text) => out.push_str(text),
                Token::Expand(e) => out.push_str(&e.apply(&values.value(e.letter))),
            }
        }
        out
    }

    /// Whether any expansion uses the letter (`p` costs lookups, so it is fetched only then).
    pub fn uses(&self, letter: u8) -> bool {
        self.0
            .iter()
            .any(|t| matches!(t, Token::Expand(e) if e.letter == letter))
    }
}

/// The inside of `%{…}`: letter, transformers, delimiters.
fn expand(inner: &[u8], context: Context) -> Result<Expand, Invalid> {
    let (&first, rest) = inner.split_first().ok_or(Invalid)?;
    let letter = first.to_ascii_lowercase();
    let allowed: &[u8] = match context {
        Context::Record => b"slodiphv",
        Context::Explanation => b"slodiphvcrt",
    };
    if !allowed.contains(&letter) {
        return Err(Invalid);
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let keep = match digits {
        0 => None,
        // A count of zero parts is meaningless; more than 128 cannot occur in a domain.
        _ => {
            let n: usize = std::str::from_utf8(&rest[..digits])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(Invalid)?;
            if n == 0 {
                return Err(Invalid);
            }
            Some(n.min(128))
        }
    };
    let mut rest = &rest[digits..];
    let reverse = matches!(rest.first(), Some(b'r' | b'R'));
    if reverse {
        rest = &rest[1..];
    }
    if !rest.iter().all(|b| b".-+,/_=".contains(b)) {
        return Err(Invalid);
    }
    Ok(Expand {
        letter,
        escape: first.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.to_vec(),
    })
}

impl Expand {
    /// Splits, reverses, keeps the right-hand parts, joins with dots, escapes.
    fn apply(&self, value: &str) -> String {
        let delimiters: &[u8] = if self.delimiters.is_empty() {
            b"."
        } else {
            &self.delimiters
        };
        let mut parts: Vec<&str> = value
            .split(|c: char| c.is_ascii() && delimiters.contains(&(c as u8)))
            .collect();
        if self.reverse {
            parts.reverse();
        }
        if let Some(keep) = self.keep {
            let skip = parts.len().saturating_sub(keep);
            parts.drain(..skip);
        }
        let joined = parts.join(".");
        if self.escape {
            url_escape(&joined)
        } else {
            joined
        }
    }
}

/// RFC 3986 percent-encoding of everything outside the unreserved set.
fn url_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The values macros expand to, by lower-case letter.
pub trait Values {
    fn value(&self, letter: u8) -> String;
}

/// `%{i}`: dotted decimal for IPv4, dot-separated nibbles for IPv6 (RFC 7208 7.3).
pub fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let nibbles: Vec<String> = v6
                .octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 0xf])
                .map(|n| format!("{n:x}"))
                .collect();
            nibbles.join(".")
        }
    }
}
