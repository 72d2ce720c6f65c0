use super::*;

fn env() -> Envelope {
    Envelope {
        client_ip: "192.0.2.1".parse().unwrap(),
        helo: "h.test".into(),
        mail_from: "a@b.test".into(),
        rcpt_to: vec!["u@example.test".into()],
    }
}

/// Found by `fuzz/run.sh pipeline`: this MIME structure trips a `debug_assert!` inside
/// mail-parser; extraction must still return facts instead of panicking.
#[test]
fn fuzz_regression_mail_parser_part_id_assert_does_not_panic() {
    let raw = include_bytes!("../../../fuzz/seeds/pipeline/regression-mail-parser-part-id");
    let f = Facts::extract(raw, &env(), 0);
    assert_eq!(f.nums.get(&Num::Size), Some(&(raw.len() as f64)));
}

#[test]
fn html_part_becomes_text_and_links_are_collected() {
    let raw = b"From: \"Bank\" <x@evil.test>\r\nSubject: =?utf-8?q?Hello_there?=\r\nContent-Type: text/html\r\n\r\n<p>Go to <a href=\"http://evil.test/login\">www.bank.test</a> now</p>\r\n";
    let f = Facts::extract(raw, &env(), 0);
    assert_eq!(f.subject, vec!["Hello there"]);
    assert_eq!(f.from_name, vec!["Bank"]);
    assert!(f.body[0].contains("Go to"), "{:?}", f.body);
    assert!(!f.body[0].contains("<p>"));
    assert_eq!(f.uri_host, vec!["evil.test", "www.bank.test"]);
    assert_eq!(f.link_mismatch, vec!["www.bank.test -> evil.test"]);
    assert_eq!(f.nums[&Num::HtmlParts], 1.0);
}

/// `rawbody` is the text parts (shared with `body`, not copied) and the HTML source; the
/// counters add up over the parts as they did over the joined text.
#[test]
fn rawbody_shares_text_parts_and_counters_add_up_over_parts() {
    let raw = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHELLO World! see http://a.test/x\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>BIG <a href=\"http://b.test/\">news</a>!</p>\r\n--b--\r\n";
    let f = Facts::extract(raw, &env(), 0);
    let rawbody: Vec<&String> = f.rawbody().into_iter().flatten().collect();
    assert_eq!(rawbody.len(), 2, "{rawbody:?}");
    assert!(rawbody[0].contains("HELLO World!") && rawbody[1].contains("<p>BIG"));
    assert_eq!(f.body.len(), 2);
    assert!(f.body[1].contains("BIG") && !f.body[1].contains("<p>"));
    let joined = f.body.join("\n");
    assert_eq!(f.nums[&Num::BodyUppercaseRatio], uppercase_ratio(&joined));
    assert_eq!(f.nums[&Num::BodyExclamations], 2.0);
    assert_eq!(f.nums[&Num::BodyLength], word_count(&joined) as f64);
    assert_eq!(f.uri, vec!["http://a.test/x", "http://b.test/"]);
}

#[test]
fn attachments_are_named_and_typed() {
    let raw = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.exe\"\r\n\r\nAAAA\r\n--b--\r\n";
    let f = Facts::extract(raw, &env(), 0);
    assert_eq!(f.attachment_name, vec!["invoice.exe"]);
    assert_eq!(f.attachment_type, vec!["application/octet-stream"]);
}

#[test]
fn uppercase_ratio_counts_letters_of_every_script() {
    assert_eq!(uppercase_ratio("ÄÖÜ ÉÈ ΣΩ abcde"), 7.0 / 12.0);
    assert_eq!(uppercase_ratio("1234567890 !!! ABCDEFGHIJ"), 1.0);
    assert_eq!(uppercase_ratio("straße STRASSE öffnen"), 7.0 / 19.0);
}

#[test]
fn ascii_letters_agree_with_the_standard_library_on_every_byte() {
    let all: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    let (l, u) = ascii_letters(&all);
    assert_eq!(l, all.iter().filter(|b| b.is_ascii_alphabetic()).count());
    assert_eq!(u, all.iter().filter(|b| b.is_ascii_uppercase()).count());
}

#[test]
fn uppercase_ratio_ignores_short_text() {
    assert_eq!(uppercase_ratio("OK"), 0.0);
    assert!(uppercase_ratio("FREE MONEY NOW") > 0.9);
}
