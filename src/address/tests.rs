use super::*;

fn mbox(s: &str) -> Mailbox {
    parse_path(s, true).unwrap().unwrap()
}

#[test]
fn plain_and_null_paths() {
    let m = mbox("<Alice@Example.test>");
    assert_eq!(
        (m.local.as_str(), m.domain.as_str()),
        ("Alice", "example.test")
    );
    assert_eq!(m.key(), "alice@example.test");
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

/// Issue: `"blocked"@example.test` passed `lists.deny.recipients: [blocked@example.test]`.
#[test]
fn canonical_form_unquotes_needless_quotes() {
    for spelling in [
        "<\"bob\"@example.test>",
        "<\"b\\ob\"@Example.TEST>",
        "<\"\\b\\o\\b\"@example.test>",
        "<BOB@example.test>",
        "<@relay.test:\"Bob\"@EXAMPLE.test>",
    ] {
        let m = mbox(spelling);
        assert_eq!(m.key(), "bob@example.test", "{spelling}");
        assert!(!m.quoted, "{spelling}");
    }
    assert_eq!(mbox("<\"Bob\"@example.test>").address(), "Bob@example.test");
    // Unquoting cannot hide a routing trick.
    assert!(mbox("<\"u%other.test\"@example.test>").is_routing_trick());
    assert!(mbox("<\"other.test!u\"@example.test>").is_routing_trick());
}

#[test]
fn canonical_form_keeps_needed_quotes_minimal() {
    let m = mbox("<\"a\\ b\"@example.test>");
    assert_eq!((m.local.as_str(), m.quoted), ("\"a b\"", true));
    let m = mbox("<\"a\\\"b\"@example.test>");
    assert_eq!(m.local, "\"a\\\"b\"");
    // `..` and leading dots need quotes: they are never unquoted into a path component.
    assert!(mbox("<\"..\"@example.test>").quoted);
    assert!(mbox("<\".bob\"@example.test>").quoted);
}

#[test]
fn canonical_domain_is_lower_case_a_labels() {
    let m = mbox("<user@B\u{fc}cher.Example>");
    assert_eq!(m.domain, "xn--bcher-kva.example");
    assert!(!m.is_ascii(), "written in UTF-8: still needs SMTPUTF8");
    assert_eq!(mbox("<user@XN--BCHER-KVA.example>").key(), m.key());
    assert_eq!(
        mbox("<user@[IPv6:2001:DB8::1]>").domain,
        "[ipv6:2001:db8::1]"
    );
    assert_eq!(
        parse_mailbox("Bob@Example.Test").unwrap().key(),
        "bob@example.test"
    );
}

#[test]
fn postmaster_without_domain_only_for_rcpt() {
    assert!(parse_path("<Postmaster>", true).unwrap().is_some());
    assert!(parse_path("<postmaster>", false).is_err());
}
