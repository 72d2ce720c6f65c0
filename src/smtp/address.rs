//! Envelope addresses (RFC 5321 4.1.2): `<local@domain>` paths, with the routing forms that
//! open relays were abused through kept visible so the policy can refuse them.

/// A mailbox from a MAIL FROM or RCPT TO path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Local part as written on the wire (quoted strings keep their quotes).
    pub local: String,
    /// Domain as written (a name or an address literal such as `[192.0.2.1]`).
    pub domain: String,
    /// The local part was a quoted string.
    pub quoted: bool,
    /// The path carried an RFC 821 source route (`<@a.test:u@b.test>`).
    pub source_route: bool,
}

impl Mailbox {
    /// The address as Moat passes it to the backend: `local@domain`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.is_ascii()
    }

    /// Routing tricks: `%` and `!` hacks, quoted `@`, source routes. Such a recipient could be
    /// forwarded by a sloppy backend to a domain Moat never checked, so it is never accepted.
    pub fn is_routing_trick(&self) -> bool {
        self.source_route
            || self.local.contains('%')
            || self.local.contains('!')
            || (self.quoted && self.local.contains('@'))
    }
}

/// MAIL FROM's reverse path: a mailbox or the null sender `<>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversePath {
    Null,
    Mailbox(Mailbox),
}

impl ReversePath {
    /// The sender as passed to the backend; empty for the null sender.
    pub fn address(&self) -> String {
        match self {
            ReversePath::Null => String::new(),
            ReversePath::Mailbox(m) => m.address(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Not `<...>`, empty, or characters that cannot appear in an address.
    Syntax,
    /// Longer than RFC 5321's 256-octet path limit.
    TooLong,
}

/// Parses a path including its angle brackets, e.g. `<a@b.test>`. `<postmaster>` (no domain)
/// is allowed only when `allow_postmaster` is set (RCPT TO).
pub fn parse_path(text: &str, allow_postmaster: bool) -> Result<Option<Mailbox>, AddressError> {
    if text.len() > 256 + 2 {
        return Err(AddressError::TooLong);
    }
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .ok_or(AddressError::Syntax)?;
    if inner.is_empty() {
        return Ok(None);
    }
    let (source_route, mailbox) = match inner.strip_prefix('@') {
        // <@a.test,@b.test:user@c.test>
        Some(_) => {
            let colon = inner.find(':').ok_or(AddressError::Syntax)?;
            (true, &inner[colon + 1..])
        }
        None => (false, inner),
    };
    if allow_postmaster && !source_route && mailbox.eq_ignore_ascii_case("postmaster") {
        return Ok(Some(Mailbox {
            local: mailbox.to_string(),
            domain: String::new(),
            quoted: false,
            source_route: false,
        }));
    }
    let (local, quoted, rest) = parse_local(mailbox)?;
    let domain = rest.strip_prefix('@').ok_or(AddressError::Syntax)?;
    if !valid_domain(domain) {
        return Err(AddressError::Syntax);
    }
    Ok(Some(Mailbox {
        local: local.to_string(),
        domain: domain.to_string(),
        quoted,
        source_route,
    }))
}

/// Splits the local part off; returns (local part as written, quoted?, rest starting at '@').
fn parse_local(text: &str) -> Result<(&str, bool, &str), AddressError> {
    if let Some(body) = text.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                // RFC 5321 quoted-pairSMTP is a backslash and a printable: never a control.
                c if c.is_control() => return Err(AddressError::Syntax),
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    let end = i + 2; // opening quote + content + closing quote
                    return Ok((&text[..end], true, &text[end..]));
                }
                _ => {}
            }
        }
        return Err(AddressError::Syntax);
    }
    let at = text.rfind('@').ok_or(AddressError::Syntax)?;
    let local = &text[..at];
    let atext_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
        });
    if !atext_ok {
        return Err(AddressError::Syntax);
    }
    Ok((local, false, &text[at..]))
}

fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        return literal.ends_with(']')
            && literal.len() > 1
            && literal[..literal.len() - 1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ".:".contains(c) || c.is_ascii_alphanumeric());
    }
    !domain.is_empty()
        && domain.len() <= 255
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mbox(s: &str) -> Mailbox {
        parse_path(s, true).unwrap().unwrap()
    }

    #[test]
    fn plain_and_null_paths() {
        let m = mbox("<Alice@Example.test>");
        assert_eq!(
            (m.local.as_str(), m.domain.as_str()),
            ("Alice", "Example.test")
        );
        assert!(!m.is_routing_trick());
        assert_eq!(parse_path("<>", false), Ok(None));
    }

    #[test]
    fn routing_tricks_are_visible() {
        assert!(mbox("<user%other.test@example.test>").is_routing_trick());
        assert!(mbox("<@a.test:u@b.test>").is_routing_trick());
        assert!(mbox("<@a.test,@c.test:u@b.test>").is_routing_trick());
        assert!(mbox("<\"u@other.test\"@example.test>").is_routing_trick());
        assert!(mbox("<other.test!u@example.test>").is_routing_trick());
    }

    #[test]
    fn quoted_local_part_keeps_quotes() {
        let m = mbox("<\"john doe\"@example.test>");
        assert_eq!(m.local, "\"john doe\"");
        assert!(m.quoted && !m.is_routing_trick());
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in [
            "a@b.test",
            "<a@b.test",
            "<a>",
            "<@b.test>",
            "<a@>",
            "<a..b@c.test>",
            "<a@b..test>",
            "<a b@c.test>",
        ] {
            assert!(parse_path(bad, false).is_err(), "{bad}");
        }
        let long = format!("<{}@b.test>", "a".repeat(300));
        assert_eq!(parse_path(&long, false), Err(AddressError::TooLong));
    }

    /// Found by fuzz/command: an escaped LF inside a quoted local part.
    #[test]
    fn quoted_local_part_cannot_escape_control_characters() {
        assert!(parse_path("<\"a\\\nb\"@example.test>", true).is_err());
        assert!(parse_path("<\"a\\\0b\"@example.test>", true).is_err());
        assert!(parse_path("<\"a\\\"b\"@example.test>", true).is_ok());
    }

    #[test]
    fn postmaster_without_domain_only_for_rcpt() {
        assert!(parse_path("<Postmaster>", true).unwrap().is_some());
        assert!(parse_path("<postmaster>", false).is_err());
    }
}
