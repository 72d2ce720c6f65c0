use super::*;
use crate::smtp::address::ReversePath;

fn message(body: &str) -> MessageContext {
    MessageContext {
        reference: "T-1".into(),
        client_ip: "192.0.2.1".parse().unwrap(),
        helo: "mail.sender.test".into(),
        tls: None,
        from: ReversePath::Null,
        recipients: Vec::new(),
        body: Arc::new(body.as_bytes().to_vec()),
        facts: Default::default(),
    }
}

#[test]
fn uribl_domains_are_registrable_deduplicated_and_bounded() {
    let m = message(
        "Subject: x\r\n\r\nhttp://a.evil.test/1 https://b.evil.test/2 \
             http://www.shop.example.co.uk/ http://one.test http://two.test\r\n",
    );
    let facts = m.facts_loader()();
    let builtin = SuffixList::builtin();
    let mut all = link_domains(&facts, 10, &builtin);
    all.sort();
    assert_eq!(all, ["evil.test", "example.co.uk", "one.test", "two.test"]);
    assert_eq!(link_domains(&facts, 2, &builtin).len(), 2);
}

#[test]
fn rhsbl_asks_helo_and_null_sender_has_no_domain() {
    assert_eq!(
        sender_domains(&message("\r\n"), &SuffixList::builtin()),
        ["mail.sender.test", "sender.test"]
    );
}
