use super::*;
use crate::config::Config;

fn domains() -> Domains {
    let yaml = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: m\n";
    Config::from_yaml(yaml, "t.yaml").unwrap().domains
}

fn mailbox(text: &str) -> Mailbox {
    crate::smtp::address::parse_path(text, false)
        .unwrap()
        .unwrap()
}

#[test]
fn relay_tricks_and_foreign_domains_are_relay_denied() {
    let d = domains();
    for rcpt in [
        "<user%other.test@example.test>",
        "<@a.test:u@example.test>",
        "<\"u@other.test\"@example.test>",
        "<u@other.test>",
        "<other.test!u@example.test>",
        "<u@[127.0.0.1]>",
    ] {
        let f = check(&d, &mailbox(rcpt)).unwrap_or_else(|| panic!("{rcpt} relayed"));
        assert_eq!(f.id, "RELAY_DENIED");
    }
    assert_eq!(check(&d, &mailbox("<Alice@EXAMPLE.test>")), None);
}
