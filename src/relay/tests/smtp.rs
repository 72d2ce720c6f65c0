//! The SMTP/LMTP client against the fake backend: transactions, parameters, passed-through
//! answers, LMTP.

use super::fake_backend::*;
use crate::relay::smtp::{Capabilities, combine_lmtp, mail_command};
use crate::relay::{RelayError, Stage};
use crate::smtp::{BodyType, Enhanced, MailParams, Reply};

#[tokio::test]
async fn lockstep_without_pipelining_is_byte_exact() {
    let fake = Fake::start(r("220 fake.test ESMTP\r\n"), standard(CAPS_LOCKSTEP)).await;
    let mut s = smtp(&fake).await;
    let eight = params(Some(BodyType::EightBitMime), false);
    assert_eq!(
        s.mail("a@x.test", &eight).await.unwrap(),
        Reply::status(250, 1, 0, "Ok")
    );
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 250);
    let body = b"Subject: s\r\n\r\n.line\r\n..two\r\nmid.dot\r\n.\r\nlast";
    let reply = s.data(b"X-Moat: 1\r\n", body).await.unwrap();
    assert_eq!(reply, Reply::status(250, 0, 0, "Ok: queued as 1"));
    // Next transaction without RSET: null sender, empty body.
    s.mail("", &MailParams::default()).await.unwrap();
    s.rcpt("c@y.test").await.unwrap();
    s.data(b"X-Moat: 2\r\n", b"").await.unwrap();
    s.mail("", &MailParams::default()).await.unwrap();
    s.rcpt("c@y.test").await.unwrap();
    s.data(b"", b"").await.unwrap();
    assert!(s.is_usable());
    assert_eq!(
        fake.received(),
        "EHLO moat.test\r\n\
         MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=123\r\nRCPT TO:<b@y.test>\r\nDATA\r\n\
         X-Moat: 1\r\nSubject: s\r\n\r\n..line\r\n...two\r\nmid.dot\r\n..\r\nlast\r\n.\r\n\
         MAIL FROM:<>\r\nRCPT TO:<c@y.test>\r\nDATA\r\nX-Moat: 2\r\n.\r\n\
         MAIL FROM:<>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n.\r\n"
    );
    s.quit().await;
}

#[tokio::test]
async fn large_message_survives_chunking() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let mut s = smtp(&fake).await;
    let mut body = Vec::new();
    for i in 0..20_000 {
        body.extend_from_slice(format!(".{i} {}\r\n", "x".repeat(i % 50)).as_bytes());
    }
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    assert_eq!(s.data(b"", &body).await.unwrap().code, 250);
    let got = fake.received();
    let data = got.split_once("DATA\r\n").unwrap().1;
    let unstuffed = data
        .strip_suffix(".\r\n")
        .unwrap()
        .replace("\r\n..", "\r\n.");
    assert_eq!(unstuffed.strip_prefix('.').unwrap().as_bytes(), &body[..]);
}

#[tokio::test]
async fn ehlo_refused_falls_back_to_helo() {
    let script = with(CAPS_ALL, |c| {
        c.starts_with("EHLO").then(|| r("502 5.5.2 No\r\n"))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    let eight = params(Some(BodyType::EightBitMime), false);
    s.mail("a@x.test", &eight).await.unwrap();
    assert_eq!(
        fake.received(),
        "EHLO moat.test\r\nHELO moat.test\r\nMAIL FROM:<a@x.test>\r\n"
    );
}

#[tokio::test]
async fn ehlo_and_helo_refused_is_an_error() {
    let script = with(CAPS_ALL, |c| {
        Some(r(if c.starts_with("EHLO") {
            "500 no\r\n"
        } else {
            "501 5.5.4 no\r\n"
        }))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let err = relay(&fake.address, false, 5000).open().await.unwrap_err();
    assert!(
        matches!(&err, RelayError::Hello { reply } if reply.code == 501),
        "{err:?}"
    );
    assert_eq!(err.stage(), Stage::Hello);
}

#[test]
fn mail_parameters_follow_capabilities() {
    let all = Capabilities::from_ehlo(&Reply::multiline(
        250,
        None,
        [
            "fake",
            "PIPELINING",
            "8bitmime",
            "SIZE 10",
            "SMTPUTF8",
            "CHUNKING",
        ]
        .map(String::from)
        .to_vec(),
    ));
    assert_eq!(
        all,
        Capabilities {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            size: true,
            chunking: true,
        }
    );
    let none = Capabilities::default();
    let p = params(Some(BodyType::EightBitMime), true);
    assert_eq!(
        mail_command("a@x", &p, &all),
        "MAIL FROM:<a@x> BODY=8BITMIME SMTPUTF8 SIZE=123\r\n"
    );
    assert_eq!(mail_command("a@x", &p, &none), "MAIL FROM:<a@x>\r\n");
    let seven = params(Some(BodyType::SevenBit), false);
    assert_eq!(
        mail_command("", &seven, &all),
        "MAIL FROM:<> BODY=7BIT SIZE=123\r\n"
    );
}

#[tokio::test]
async fn smtputf8_without_backend_support_is_refused_locally() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_NONE)).await;
    let mut s = smtp(&fake).await;
    let reply = s.mail("ü@x.test", &params(None, true)).await.unwrap();
    assert_eq!((reply.code, reply.enhanced), (553, Some(Enhanced(5, 6, 7))));
    assert_eq!(fake.received(), "EHLO moat.test\r\n", "nothing sent");
    assert!(s.is_usable());
}

#[tokio::test]
async fn backend_refusals_are_passed_through() {
    let script = with(CAPS_LOCKSTEP, |c| match c {
        c if c.starts_with("MAIL FROM:<t") => Some(r("451 4.3.0 Try later\r\n")),
        c if c.starts_with("RCPT TO:<nobody") => Some(r("550-5.1.1 No such\r\n550 5.1.1 user\r\n")),
        "<DOT>" => Some(r("554 5.7.1 Spam\r\n")),
        _ => None,
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    let mp = MailParams::default();
    assert_eq!(
        s.mail("t@x.test", &mp).await.unwrap(),
        Reply::status(451, 3, 0, "Try later")
    );
    s.mail("a@x.test", &mp).await.unwrap();
    let refused = s.rcpt("nobody@y.test").await.unwrap();
    assert_eq!(
        (refused.code, refused.lines.clone()),
        (550, vec!["No such".into(), "user".into()])
    );
    s.rcpt("b@y.test").await.unwrap();
    assert_eq!(
        s.data(b"", b"m\r\n").await.unwrap(),
        Reply::status(554, 7, 1, "Spam")
    );
    assert!(s.is_usable());
}

#[tokio::test]
async fn data_refused_then_next_mail_starts_with_rset() {
    let script = with(CAPS_LOCKSTEP, |c| {
        (c == "DATA").then(|| r("554 5.5.1 No valid recipients\r\n"))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    let mp = MailParams::default();
    s.mail("a@x.test", &mp).await.unwrap();
    assert_eq!(s.data(b"", b"m\r\n").await.unwrap().code, 554);
    s.mail("a@x.test", &mp).await.unwrap();
    assert!(
        fake.received()
            .ends_with("DATA\r\nRSET\r\nMAIL FROM:<a@x.test>\r\n")
    );
}

#[tokio::test]
async fn reply_421_makes_the_session_unusable() {
    let script = with(CAPS_LOCKSTEP, |c| {
        c.starts_with("MAIL")
            .then(|| Act::ReplyThenClose("421 4.3.2 Bye\r\n".into()))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    assert_eq!(
        s.mail("a@x.test", &MailParams::default())
            .await
            .unwrap()
            .code,
        421
    );
    assert!(!s.is_usable());
    assert!(matches!(
        s.rcpt("b@y.test").await,
        Err(RelayError::Unusable { stage: Stage::Rcpt })
    ));
}

#[tokio::test]
async fn line_breaks_in_addresses_are_never_sent() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let mut s = smtp(&fake).await;
    assert_eq!(
        s.mail("a@x\r\nRSET", &MailParams::default())
            .await
            .unwrap()
            .code,
        501
    );
    assert_eq!(s.rcpt("b@y\nDATA").await.unwrap().code, 501);
    assert_eq!(fake.received(), "EHLO moat.test\r\n");
}

#[tokio::test]
async fn lmtp_reads_one_reply_per_accepted_recipient() {
    let script = with(CAPS_ALL, |c| match c {
        c if c.starts_with("RCPT TO:<gone") => Some(r("550 5.1.1 No such user\r\n")),
        "<DOT>" => Some(r("250 2.0.0 <a> Saved\r\n452 4.2.2 <b> Quota\r\n")),
        _ => None,
    });
    let fake = Fake::start(r("220 fake LMTP\r\n"), script).await;
    let relay = relay(&fake.address, true, 5000);
    assert_eq!(relay.max_recipients_per_transaction(), Some(1));
    let mut s = relay.open().await.unwrap();
    let mp = MailParams::default();
    s.mail("s@x.test", &mp).await.unwrap();
    s.rcpt("a@y.test").await.unwrap();
    s.rcpt("gone@y.test").await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    // Two accepted recipients, two replies, mixed: the first success (and an error log).
    assert_eq!(
        s.data(b"", b"m\r\n").await.unwrap(),
        Reply::status(250, 0, 0, "<a> Saved")
    );
    // Both replies were consumed: the session is in step for the next transaction.
    s.mail("s@x.test", &mp).await.unwrap();
    assert!(fake.received().starts_with("LHLO moat.test\r\n"));
}

#[tokio::test]
async fn lmtp_single_recipient() {
    let script = with(CAPS_ALL, |c| {
        (c == "<DOT>").then(|| r("452 4.2.2 <a> Quota\r\n"))
    });
    let fake = Fake::start(r("220 fake LMTP\r\n"), script).await;
    let mut s = relay(&fake.address, true, 5000).open().await.unwrap();
    s.mail("s@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("a@y.test").await.unwrap();
    assert_eq!(s.data(b"", b"m\r\n").await.unwrap().code, 452);
    assert!(s.is_usable());
}

#[test]
fn combining_lmtp_replies() {
    let ok = |t: &str| Reply::status(250, 0, 0, t);
    let (tmp, perm) = (Reply::status(452, 2, 2, "t"), Reply::status(550, 1, 1, "p"));
    assert_eq!(combine_lmtp(vec![ok("a"), ok("b")]), ok("a"));
    assert_eq!(combine_lmtp(vec![perm.clone(), tmp.clone()]), tmp);
    assert_eq!(combine_lmtp(vec![perm.clone(), perm.clone()]), perm);
    assert_eq!(
        combine_lmtp(vec![perm.clone(), ok("b"), tmp.clone()]),
        ok("b")
    );
    assert_eq!(combine_lmtp(vec![tmp.clone()]), tmp);
}
