//! The RFCs' own examples: RFC 8463 appendix A (Ed25519 and RSA signatures of one message,
//! verified as published), RFC 6376 appendix A's message and 3.4.5's canonicalisation
//! example, signed here.

use crate::harness::{World, tools_present};
use crate::kit::*;
use crate::signer;

/// RFC 8463 A.2 (the keys) and A.3 (the signed message), byte for byte with CRLF.
const RFC8463_MESSAGE: &[u8] = include_bytes!("rfc8463-a.eml");
const RFC8463_KEYS: [(&str, &str); 2] = [
    (
        "brisbane._domainkey.football.example.com",
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    ),
    (
        "test._domainkey.football.example.com",
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    ),
];

/// Both signatures pass as published; a changed body fails both, and an Ed25519 key
/// published for the RSA selector fails the RSA signature.
#[test]
fn conformance_dkim_rfc8463_ed25519_example() {
    let test = "conformance_dkim_rfc8463_ed25519_example";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    for (name, record) in RFC8463_KEYS {
        world.dns().txt(name, record);
    }
    let subject = "Is dinner ready?";
    let header = world.deliver(subject, RFC8463_MESSAGE);
    for selector in ["brisbane", "test"] {
        let want = format!("dkim=pass header.d=football.example.com header.s={selector}");
        assert!(header.contains(&want), "{want}: {header}");
    }
    let findings = world.findings(RFC8463_MESSAGE);
    let ids: Vec<&str> = findings.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        ids.contains(&"DKIM_PASS") && !ids.contains(&"DKIM_FAIL"),
        "{findings:?}"
    );
    let changed = replace(RFC8463_MESSAGE, "We lost the game.", "We won the game. ");
    let header = world.deliver(subject, &changed);
    for selector in ["brisbane", "test"] {
        let want = format!(
            "dkim=fail (Calculated body hash does not match signature hash) \
             header.d=football.example.com header.s={selector}"
        );
        assert!(header.contains(&want), "{want}: {header}");
    }
}

/// RFC 6376 A.1's message signed as A.2 describes (simple/simple, Received signed), and
/// 3.4.5's canonicalisation example under all four `c=` (its `B : Y` written `B: Y`:
/// dkimpy refuses white space before the colon, obsolete syntax, RFC 5322 4.5).
#[test]
fn conformance_dkim_rfc6376_examples() {
    let test = "conformance_dkim_rfc6376_examples";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let key = &signer::key().private_pem;
    let a1 = "Received: from client1.football.example.com  [192.0.2.1]\r\n      \
              by submitserver.example.com with SUBMISSION;\r\n      \
              Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n\
              From: Joe SixPack <joe@football.example.com>\r\n\
              To: Suzie Q <suzie@shopping.example.net>\r\nSubject: Is dinner ready?\r\n\
              Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n\
              Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n\r\n\
              Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n";
    let h_a1 = "h=received:from:to:subject:date:message-id";
    let h_345 = "h=from:to:subject:date:message-id:a:b";
    let mut jobs = vec![Job {
        key,
        selector: "s1",
        canon: "simple/simple",
        options: std::slice::from_ref(&h_a1),
        message: a1.as_bytes().to_vec(),
    }];
    let canons = [
        "simple/simple",
        "simple/relaxed",
        "relaxed/simple",
        "relaxed/relaxed",
    ];
    let subjects: Vec<String> = canons
        .iter()
        .map(|c| format!("rfc6376-3.4.5-{}", c.replace('/', "-")))
        .collect();
    for (canon, subject) in canons.iter().zip(&subjects) {
        jobs.push(Job {
            key,
            selector: "s1",
            canon,
            options: std::slice::from_ref(&h_345),
            message: message(
                subject,
                "A: X\r\nB: Y\t\r\n\tZ  \r\n",
                " C \r\nD \t E\r\n\r\n\r\n",
            ),
        });
    }
    let signed = sign_all(&jobs);
    let mut cases = vec![Case {
        subject: "Is dinner ready?".into(),
        message: signed[0].clone(),
        want: "dkim=pass".into(),
    }];
    for (subject, message) in subjects.into_iter().zip(signed.into_iter().skip(1)) {
        cases.push(Case {
            subject,
            message,
            want: "dkim=pass".into(),
        });
    }
    assert_all(run(&world, &cases), cases.len());
}
