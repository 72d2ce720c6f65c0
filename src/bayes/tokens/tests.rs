use super::*;
use crate::rules::facts::Envelope;

fn facts(raw: &str) -> Facts {
    let env = Envelope {
        client_ip: "192.0.2.1".parse().unwrap(),
        helo: "h".into(),
        mail_from: "a@b".into(),
        rcpt_to: vec![],
    };
    Facts::extract(raw.as_bytes(), &env, 0)
}

#[test]
fn token_hashes_are_stable_across_builds() {
    // A model file stores these hashes: changing the hash function breaks every model.
    assert_eq!(fnv1a(b"viagra"), 0x314f_c6a2_caa4_3411);
}

#[test]
fn tokens_come_from_subject_body_and_hosts_deduplicated() {
    let f =
        facts("Subject: Cheap Pills\r\n\r\ncheap cheap pills at http://x.shop.evil.test/buy\r\n");
    let t = tokens(&f);
    for want in [
        "s:cheap",
        "s:pills",
        "cheap",
        "pills",
        "host:shop.evil.test",
        "host:evil.test",
    ] {
        assert!(t.contains(&fnv1a(want.as_bytes())), "missing {want}");
    }
    let unique: HashSet<_> = t.iter().collect();
    assert_eq!(unique.len(), t.len());
}

#[test]
fn received_path_gives_relay_host_and_network_tokens() {
    let f = facts(
        "Received: from mx.Relay.example (mx.relay.example [203.0.113.7])\r\n\
             \tby in.moat.test (Postfix) with ESMTP id 1A2B; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
             Subject: x\r\n\r\nbody\r\n",
    );
    let t = tokens(&f);
    for want in [
        "rcvd:mx.relay.example",
        "rcvd:relay.example",
        "rcvd:in.moat.test",
        "rcvd:moat.test",
        "rcvdip:203.0",
        "rcvdip:203.0.113",
    ] {
        assert!(t.contains(&fnv1a(want.as_bytes())), "missing {want}");
    }
    // Not host names: the full address, the date after `;`, the queue id.
    for unwanted in [
        "rcvdip:203.0.113.7",
        "rcvd:2024",
        "rcvd:1a2b",
        "rcvd:00:00:00",
    ] {
        assert!(!t.contains(&fnv1a(unwanted.as_bytes())), "has {unwanted}");
    }
}

#[test]
fn received_tokens_are_bounded_and_leave_room_for_the_body() {
    let hosts: String = (0..200).map(|j| format!(" h{j}.relay.example")).collect();
    let relays: String = (0..5_000)
        .map(|i| format!("Received: from r{i}.example{hosts}\r\n"))
        .collect();
    let f = facts(&format!("{relays}Subject: x\r\n\r\ncheapest pills\r\n"));
    let t = tokens(&f);
    assert!(
        t.len() <= 3 + MAX_RECEIVED * MAX_RECEIVED_TOKENS + 2,
        "{}",
        t.len()
    );
    for want in ["cheapest", "pills"] {
        assert!(t.contains(&fnv1a(want.as_bytes())), "missing {want}");
    }
}

#[test]
fn named_tokens_are_the_same_tokens_with_their_text() {
    let f = facts(
        "Subject: Cheap Pills\r\nX-Mailer: Mass Mailer\r\n\r\ncheap pills at http://x.evil.test/buy\r\n",
    );
    let named = named(&f);
    let hashes: Vec<u64> = named.iter().map(|(h, _)| *h).collect();
    assert_eq!(hashes, tokens(&f));
    for (h, text) in &named {
        assert_eq!(
            *h,
            fnv1a(text.replace("mailer:", "mailer").as_bytes()),
            "{text}"
        );
    }
    assert!(named.iter().any(|(_, t)| t == "host:evil.test"));
    assert!(named.iter().any(|(_, t)| t == "x-mailer:mass"));
}

#[test]
fn content_type_gives_no_tokens() {
    // The form of a message (HTML only, multipart) is the rules' business, capped as a
    // bulk trait; as a token it made every unseen HTML newsletter look like spam.
    let f = facts("Subject: hi\r\nContent-Type: text/html\r\n\r\n<p>hello there</p>\r\n");
    assert!(
        named(&f)
            .iter()
            .all(|(_, t)| !t.starts_with("content-type"))
    );
}

#[test]
fn token_count_is_bounded() {
    let body: String = (0..20_000).map(|i| format!("word{i} ")).collect();
    let f = facts(&format!("Subject: x\r\n\r\n{body}\r\n"));
    assert_eq!(tokens(&f).len(), MAX_TOKENS);
}

/// The sender and path come first (From, mailer, relays), then the content (subject, body,
/// links): the classifier's two opinions are taken over these two parts.
#[test]
fn split_puts_sender_and_path_before_content() {
    let f = facts(
        "Received: from relay.sender.test (relay.sender.test [198.51.100.7]) by mx.test\r\n\
         From: Deals <deals@shop.test>\r\nX-Mailer: BulkBlaster 9\r\nSubject: cheap pills\r\n\r\n\
         cheap pills at http://x.evil.test/buy\r\n",
    );
    let (all, sender) = split(&f);
    assert_eq!(all, tokens(&f), "one list, learned together");
    let has = |part: &[u64], t: &str| part.contains(&fnv1a(t.as_bytes()));
    let (path, content) = all.split_at(sender);
    for t in [
        "from:deals@shop.test",
        "fromdom:shop.test",
        "fromname:deals",
        "x-mailerbulkblaster",
        "rcvd:relay.sender.test",
        "rcvdip:198.51.100",
    ] {
        assert!(has(path, t), "{t} is of the sender and path");
    }
    for t in ["s:cheap", "pills", "host:x.evil.test"] {
        assert!(has(content, t), "{t} is content");
        assert!(!has(path, t), "{t} is not of the sender");
    }
}
