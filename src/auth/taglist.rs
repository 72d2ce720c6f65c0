//! The DKIM tag-list grammar (RFC 6376 3.2), read strictly. DKIM-Signature, ARC-Seal and
//! ARC-Message-Signature fields and DKIM key records are all tag lists; mail-auth reads
//! them loosely (a repeated tag silently replaces the first, an empty tag-spec or an invalid
//! tag name is skipped), which RFC 6376 forbids: "if a tag name does occur more than once,
//! the entire tag-list is invalid". Moat checks the grammar first and hands only valid
//! fields to the library.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC          ; ALNUMPUNC = ALPHA / DIGIT / "_"
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR                 ; VALCHAR = %x21-3A / %x3C-7E
//! ```

use std::fmt;

/// Why a tag list is not valid; the text goes into the `Authentication-Results` comment and
/// the finding's reason, so it names the tag and stays short (no parentheses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagError {
    /// `;;`, a leading `;`, or a field that is only white space.
    EmptySpec,
    /// A tag-spec without `=`.
    NoEquals(String),
    /// A tag name that does not start with a letter or has other than letters, digits, `_`.
    BadName(String),
    /// A value with a byte outside VALCHAR and white space (a control character, say).
    BadValue(String),
    /// The same tag name twice: the whole list is invalid (RFC 6376 3.2).
    Duplicate(String),
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::EmptySpec => write!(f, "empty tag-spec"),
            TagError::NoEquals(spec) => write!(f, "tag-spec {spec:?} without ="),
            TagError::BadName(name) => write!(f, "invalid tag name {name:?}"),
            TagError::BadValue(name) => write!(f, "invalid value of tag {name}="),
            TagError::Duplicate(name) => write!(f, "tag {name}= appears twice"),
        }
    }
}

/// A valid tag list: names (case-sensitive, RFC 6376 3.2) with their values, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList<'a> {
    tags: Vec<(&'a str, &'a [u8])>,
}

/// FWS as it appears in an unfolded-or-not header value: SP, HTAB and the CR LF of a fold.
fn is_fws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim_fws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_fws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_fws(*last) {
            break;
        }
        s = rest;
    }
    s
}

fn valid_name(name: &[u8]) -> bool {
    match name {
        [first, rest @ ..] => {
            first.is_ascii_alphabetic()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        [] => false,
    }
}

/// VALCHAR or folding white space. Bytes above 0x7F are accepted: RFC 8616 lets
/// internationalised mail carry UTF-8 in DKIM values.
fn valid_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| is_fws(b) || ((0x21..=0x7E).contains(&b) && b != b';') || b >= 0x80)
}

impl<'a> TagList<'a> {
    /// Reads `text` (a header field's value, folds and final CRLF included, or a record).
    pub fn parse(text: &'a [u8]) -> Result<TagList<'a>, TagError> {
        let mut specs: Vec<&[u8]> = text.split(|&b| b == b';').collect();
        // One trailing ";" is allowed: it leaves an empty last piece.
        if specs.len() > 1 && trim_fws(specs[specs.len() - 1]).is_empty() {
            specs.pop();
        }
        let mut tags: Vec<(&'a str, &'a [u8])> = Vec::with_capacity(specs.len());
        for spec in specs {
            let spec = trim_fws(spec);
            if spec.is_empty() {
                return Err(TagError::EmptySpec);
            }
            let Some(eq) = spec.iter().position(|&b| b == b'=') else {
                return Err(TagError::NoEquals(printable(spec)));
            };
            let name = trim_fws(&spec[..eq]);
            if !valid_name(name) {
                return Err(TagError::BadName(printable(name)));
            }
            // Checked ASCII by `valid_name`.
            let name = std::str::from_utf8(name).unwrap_or_default();
            let value = trim_fws(&spec[eq + 1..]);
            if !valid_value(value) {
                return Err(TagError::BadValue(name.to_string()));
            }
            if tags.iter().any(|(n, _)| *n == name) {
                return Err(TagError::Duplicate(name.to_string()));
            }
            tags.push((name, value));
        }
        Ok(TagList { tags })
    }

    /// The value of tag `name` (exact case), white space at its ends removed.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.tags.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The value of `name` as text, for tags whose grammar is ASCII.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The value of `name` with all folding white space removed (`b=`, `bh=`, `h=`).
    pub fn compact(&self, name: &str) -> Option<Vec<u8>> {
        self.get(name)
            .map(|v| v.iter().copied().filter(|b| !is_fws(*b)).collect())
    }
}

/// A short printable rendering of bytes for an error message.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(20)
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests;
