use super::*;
use crate::config::Config;

fn yaml(lists: &str) -> String {
    format!(
        "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: ./m\nlists:\n{lists}"
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn helo_exact_and_wildcard_suffix() {
    let c = Config::from_yaml(
        &yaml("  deny:\n    helo: [Localhost, \"*.dyn.example.net\", \"[192.0.2.1]\"]\n"),
        "m.yaml",
    )
    .unwrap();
    let deny = &c.policy.deny;
    assert!(deny.helo("localhost").is_some());
    assert!(deny.helo("LOCALHOST.").is_some());
    assert!(deny.helo("[192.0.2.1]").is_some());
    assert!(deny.helo("host-1.dyn.example.net").is_some());
    assert!(deny.helo("a.b.dyn.example.net").is_some());
    // The wildcard covers names below the suffix, not the suffix itself.
    assert!(deny.helo("dyn.example.net").is_none());
    assert!(deny.helo("mail.example.net").is_none());
    assert!(deny.helo("localhost.example").is_none());
}

#[test]
fn recipients_address_domain_and_local_part() {
    let c = Config::from_yaml(
        &yaml("  allow:\n    recipients: [\"postmaster@\", \"@abuse.example.test\", Alice@Example.test]\n"),
        "m.yaml",
    )
    .unwrap();
    let allow = &c.policy.allow;
    assert!(allow.recipient("postmaster@example.test").is_some());
    assert!(allow.recipient("POSTMASTER@other.test").is_some());
    assert!(allow.recipient("anyone@abuse.example.test").is_some());
    assert!(allow.recipient("alice@example.test").is_some());
    assert!(allow.recipient("bob@example.test").is_none());
    assert!(allow.recipient("x@sub.abuse.example.test").is_none());
}

#[test]
fn senders_domains_and_clients_keep_their_meaning() {
    let c = Config::from_yaml(
        &yaml("  deny:\n    senders: [Bad@Example.org]\n    domains: [\"@spam.test\"]\n    clients: [192.0.2.0/24]\n"),
        "m.yaml",
    )
    .unwrap();
    let deny = &c.policy.deny;
    let other = ip("198.51.100.1");
    assert!(deny.matches("bad@example.org", other).is_some());
    assert!(deny.matches("x@mail.spam.test", other).is_some());
    assert!(deny.matches("x@notspam.test", other).is_none());
    assert!(deny.matches("", ip("192.0.2.9")).is_some());
    assert!(deny.client(ip("::ffff:192.0.2.9")).is_some());
}

#[test]
fn list_file_entries_comments_and_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.txt"),
        "# spammers\n192.0.2.0/24\n\n  198.51.100.7   # one host\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("helo.txt"), "*.bad.test\n").unwrap();
    let origin = dir.path().join("moat.yaml");
    let c = Config::from_yaml(
        &yaml("  deny:\n    clients: [203.0.113.1, {file: clients.txt}]\n    helo:\n      - file: helo.txt\n"),
        origin.to_str().unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let deny = &c.policy.deny;
    assert!(deny.client(ip("203.0.113.1")).is_some());
    assert!(deny.client(ip("192.0.2.200")).is_some());
    assert!(deny.client(ip("198.51.100.7")).is_some());
    assert!(deny.client(ip("198.51.100.8")).is_none());
    assert!(deny.helo("x.bad.test").is_some());
    assert_eq!(
        deny.files,
        vec![dir.path().join("clients.txt"), dir.path().join("helo.txt")]
    );
}

#[test]
fn list_file_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.txt"), "abuse@\nnot-an-address\n").unwrap();
    let origin = dir.path().join("moat.yaml");
    let e = Config::from_yaml(
        &yaml("  deny:\n    recipients: [{file: r.txt}, {file: missing.txt}]\n"),
        origin.to_str().unwrap(),
    )
    .unwrap_err()
    .to_string();
    let file = dir.path().join("r.txt");
    assert!(
        e.contains(&format!(
            "lists.deny.recipients[0]: {}:2: `not-an-address`",
            file.display()
        )),
        "{e}"
    );
    assert!(
        e.contains("lists.deny.recipients[1]: cannot read list file"),
        "{e}"
    );
    assert!(e.contains("missing.txt"), "{e}");
}

#[test]
fn entry_map_accepts_only_file() {
    let e = Config::from_yaml(&yaml("  deny:\n    helo: [{path: x.txt}]\n"), "m.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `path`, expected `file`"), "{e}");
    let e = Config::from_yaml(&yaml("  deny:\n    helo: [\"bad name\"]\n"), "m.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("lists.deny.helo[0]"), "{e}");
}

#[test]
fn comments_need_whitespace_before_hash() {
    assert_eq!(strip_comment("a#b@example.test"), "a#b@example.test");
    assert_eq!(strip_comment("x@example.test # note"), "x@example.test");
    assert_eq!(strip_comment("   # all comment"), "");
}

/// Entries are stored in the canonical form the session compares: quotes around a dot-atom,
/// quoted-pairs and case do not matter, internationalised domains become A-labels.
#[test]
fn address_entries_are_canonical() {
    let c = Config::from_yaml(
        &yaml(
            "  deny:\n    senders: [\"\\\"Sp\\\\ammer\\\"@Other.Example\"]\n    recipients: [\"\\\"Bob\\\"@\", \"@B\u{fc}cher.example\"]\n    domains: [B\u{fc}cher.example]\n",
        ),
        "m.yaml",
    )
    .unwrap();
    let deny = &c.policy.deny;
    assert!(deny.sender("spammer@other.example").is_some());
    assert!(deny.recipient("bob@example.test").is_some());
    assert!(deny.recipient("x@xn--bcher-kva.example").is_some());
    assert!(deny.sender("x@xn--bcher-kva.example").is_some());
}
