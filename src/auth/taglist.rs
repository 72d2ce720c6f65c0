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
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, String)>, TagError> {
        TagList::parse(text.as_bytes()).map(|l| {
            l.tags
                .iter()
                .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
                .collect()
        })
    }

    #[test]
    fn tag_list_reads_folded_values_and_one_trailing_semicolon() {
        let list = parse(" v=1; a=rsa-sha256;\r\n\tb=abc\r\n def ; h = from : to;\r\n").unwrap();
        assert_eq!(list[0], ("v".into(), "1".into()));
        assert_eq!(list[2], ("b".into(), "abc\r\n def".into()));
        assert_eq!(list[3], ("h".into(), "from : to".into()));
        let l = TagList::parse(b"b=ab\r\n cd; bh=").unwrap();
        assert_eq!(l.compact("b").unwrap(), b"abcd");
        assert_eq!(
            l.get("bh"),
            Some(&b""[..]),
            "an empty value is valid grammar"
        );
    }

    #[test]
    fn tag_list_duplicate_tag_invalidates_the_whole_list() {
        assert_eq!(
            parse("s=a; d=x.test; s=b"),
            Err(TagError::Duplicate("s".into()))
        );
        assert_eq!(
            parse("i=1; i=1"),
            Err(TagError::Duplicate("i".into())),
            "even with the same value"
        );
    }

    #[test]
    fn tag_list_names_are_case_sensitive() {
        let l = TagList::parse(b"S=sel; d=x.test").unwrap();
        assert_eq!(l.get("s"), None, "S= is another tag than s=");
        assert_eq!(l.text("S"), Some("sel"));
        // Different case is not a duplicate.
        assert!(parse("s=a; S=b").is_ok());
    }

    #[test]
    fn tag_list_empty_tag_specs_are_invalid() {
        assert_eq!(parse("a=1;; b=2"), Err(TagError::EmptySpec));
        assert_eq!(parse("; a=1"), Err(TagError::EmptySpec));
        assert_eq!(parse("a=1; ;"), Err(TagError::EmptySpec));
        assert_eq!(parse(""), Err(TagError::EmptySpec));
        assert_eq!(parse(" \r\n "), Err(TagError::EmptySpec));
        assert!(parse("a=1;").is_ok());
        assert!(parse("a=1; \r\n").is_ok());
    }

    #[test]
    fn tag_list_invalid_names_and_specs() {
        assert_eq!(parse("1a=x"), Err(TagError::BadName("1a".into())));
        assert_eq!(parse("a-b=x"), Err(TagError::BadName("a-b".into())));
        assert_eq!(parse("=x"), Err(TagError::BadName("".into())));
        assert_eq!(parse("a b=x"), Err(TagError::BadName("a?b".into())));
        assert_eq!(
            parse("a=1; novalue"),
            Err(TagError::NoEquals("novalue".into()))
        );
        assert!(parse("a_1=x; Z9=y").is_ok());
    }

    #[test]
    fn tag_list_values_reject_control_characters() {
        assert_eq!(parse("a=x\x01y"), Err(TagError::BadValue("a".into())));
        assert_eq!(parse("a=x\x7f"), Err(TagError::BadValue("a".into())));
        assert!(parse("a=x=y").is_ok(), "= is a VALCHAR");
        assert!(parse("d=b\u{fc}cher.test").is_ok(), "UTF-8 (RFC 8616)");
    }

    #[test]
    fn tag_list_errors_read_well() {
        assert_eq!(
            TagError::Duplicate("s".into()).to_string(),
            "tag s= appears twice"
        );
        assert_eq!(TagError::EmptySpec.to_string(), "empty tag-spec");
    }
}
