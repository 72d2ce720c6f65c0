//! Envelope addresses (RFC 5321 4.1.2): `<local@domain>` paths, with the routing forms that
//! open relays were abused through kept visible so the policy can refuse them.
//!
//! Every address is put in **one canonical form** as it is parsed, so that no spelling of an
//! address can slip past a comparison that another spelling would fail (`"blocked"@EXAMPLE.test`
//! is `blocked@example.test` to the deny list, the greylist, the rate limits, the Maildir path,
//! the quarantine and the backend alike):
//! - a quoted local part whose content (quoted-pairs resolved) is a dot-atom is unquoted:
//!   `"bob"` and `"b\ob"` are `bob` (RFC 5321 4.1.2: the two forms are the same mailbox);
//! - any other quoted local part stays quoted, re-escaped minimally (`quoted` is set; the
//!   session refuses such paths unless `smtp.quoted_local_parts: accept`);
//! - the domain is lower-cased, and internationalised names become IDNA A-labels;
//! - [`Mailbox::key`] lower-cases the local part too: the form every list, counter and store
//!   compares. The local part's case is kept on the wire, where the backend decides.

/// A mailbox from a MAIL FROM or RCPT TO path, in canonical form (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Local part, canonical: unquoted where the quotes were needless; otherwise a quoted
    /// string with only `"` and `\` escaped. Case as the client wrote it.
    pub local: String,
    /// Domain, canonical: lower case, A-labels; or an address literal such as `[192.0.2.1]`.
    pub domain: String,
    /// The local part is a quoted string that is not a dot-atom (`"john doe"`).
    pub quoted: bool,
    /// The path carried an RFC 821 source route (`<@a.test:u@b.test>`).
    pub source_route: bool,
    /// The path as the client wrote it had non-ASCII characters (needs SMTPUTF8), even where
    /// the canonical domain is ASCII again.
    pub utf8: bool,
}

impl Mailbox {
    /// The address as Moat passes it to the backend: `local@domain`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The comparison key: the canonical address with the local part lower-cased. Every
    /// allow/deny list, greylist triplet, rate-limit key and Maildir path uses this.
    pub fn key(&self) -> String {
        format!("{}@{}", self.local.to_lowercase(), self.domain)
    }

    pub fn is_ascii(&self) -> bool {
        !self.utf8
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

    /// The sender's comparison key ([`Mailbox::key`]); empty for the null sender.
    pub fn key(&self) -> String {
        match self {
            ReversePath::Null => String::new(),
            ReversePath::Mailbox(m) => m.key(),
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
            utf8: false,
        }));
    }
    parse_mailbox(mailbox).map(|m| Some(Mailbox { source_route, ..m }))
}

/// Parses a bare `local@domain` (no angle brackets, no source route) into canonical form: the
/// same function for addresses from the wire, from list files and from stored messages.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, AddressError> {
    let (local, quoted, rest) = parse_local(text)?;
    let domain = rest.strip_prefix('@').ok_or(AddressError::Syntax)?;
    if !valid_domain(domain) {
        return Err(AddressError::Syntax);
    }
    Ok(Mailbox {
        domain: canonical_domain(domain).ok_or(AddressError::Syntax)?,
        quoted: quoted && !is_dot_atom(&local),
        local: if quoted && !is_dot_atom(&local) {
            requote(&local)
        } else {
            local
        },
        source_route: false,
        utf8: !text.is_ascii(),
    })
}

/// The canonical form of a domain: lower case; internationalised names as IDNA A-labels
/// (UTS #46, as browsers and resolvers map them); address literals lower-cased. `None` when
/// a non-ASCII name has no A-label form.
pub fn canonical_domain(domain: &str) -> Option<String> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_ascii() {
        return Some(domain.to_ascii_lowercase());
    }
    idna::domain_to_ascii(domain)
        .ok()
        .filter(|d| d.len() <= 255)
}

/// Splits the local part off; returns (the local part's content — quoted-pairs of a quoted
/// string resolved, its quotes dropped —, quoted?, rest starting at '@').
fn parse_local(text: &str) -> Result<(String, bool, &str), AddressError> {
    if let Some(body) = text.strip_prefix('"') {
        let mut escaped = false;
        let mut content = String::new();
        for (i, c) in body.char_indices() {
            match c {
                // RFC 5321 quoted-pairSMTP is a backslash and a printable: never a control.
                c if c.is_control() => return Err(AddressError::Syntax),
                _ if escaped => {
                    escaped = false;
                    content.push(c);
                }
                '\\' => escaped = true,
                '"' => {
                    let end = i + 2; // opening quote + content + closing quote
                    return Ok((content, true, &text[end..]));
                }
                _ => content.push(c),
            }
        }
        return Err(AddressError::Syntax);
    }
    let at = text.rfind('@').ok_or(AddressError::Syntax)?;
    let local = &text[..at];
    if !is_dot_atom(local) {
        return Err(AddressError::Syntax);
    }
    Ok((local.to_string(), false, &text[at..]))
}

/// RFC 5321 Dot-string (atext, with UTF-8 allowed by RFC 6531): what needs no quotes.
fn is_dot_atom(local: &str) -> bool {
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
        })
}

/// A quoted string with only the two characters that must be escaped escaped.
fn requote(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + 2);
    out.push('"');
    for c in content.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
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
mod tests;
