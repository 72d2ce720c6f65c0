//! The round-trip savers against the fake backend, byte by byte and write by write: MAIL held
//! back and pipelined with the first RCPT, BDAT instead of DATA, and the lockstep path when the
//! backend lacks the extension or the config switches it off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::fake_backend::*;
use crate::relay::BackendSession;
use crate::smtp::{BodyType, MailParams, Reply};

async fn open(fake: &Fake, pipelining: bool, chunking: bool) -> BackendSession {
    relay_with_extensions(&fake.address, false, 5000, pipelining, chunking)
        .open()
        .await
        .unwrap()
}

#[tokio::test]
async fn pipelined_mail_and_first_rcpt_go_in_one_write() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let mut s = open(&fake, true, true).await;
    let eight = params(Some(BodyType::EightBitMime), false);
    let mail = s.mail("a@x.test", &eight).await.unwrap();
    assert_eq!(mail, Reply::status(250, 1, 0, "Sender ok"));
    assert!(s.mail_deferred());
    assert_eq!(fake.received(), "EHLO moat.test\r\n", "MAIL is held back");
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 250);
    assert!(!s.mail_deferred());
    assert_eq!(s.rcpt("c@y.test").await.unwrap().code, 250);
    assert_eq!(s.data(b"H: 1\r\n", b"\r\nhi\r\n").await.unwrap().code, 250);
    assert_eq!(
        fake.arrivals(),
        [
            "EHLO moat.test\r\n",
            "MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=123\r\nRCPT TO:<b@y.test>\r\n",
            "RCPT TO:<c@y.test>\r\n",
            "DATA\r\n",
            "H: 1\r\n\r\nhi\r\n.\r\n",
        ]
    );
}

#[tokio::test]
async fn lockstep_when_pipelining_is_missing_or_switched_off() {
    for (caps, pipelining) in [(CAPS_LOCKSTEP, true), (CAPS_ALL, false)] {
        let fake = Fake::start(r("220 fake\r\n"), standard(caps)).await;
        let mut s = open(&fake, pipelining, true).await;
        s.mail("a@x.test", &MailParams::default()).await.unwrap();
        assert!(!s.mail_deferred());
        s.rcpt("b@y.test").await.unwrap();
        assert_eq!(
            fake.arrivals()[1..],
            ["MAIL FROM:<a@x.test>\r\n", "RCPT TO:<b@y.test>\r\n"]
        );
    }
}

#[tokio::test]
async fn backend_refusing_mail_answers_the_rcpt_and_the_next_rcpt_sends_mail_again() {
    let mails = Arc::new(AtomicUsize::new(0));
    let n = mails.clone();
    let script = with(CAPS_ALL, move |c| match c {
        c if c.starts_with("MAIL") && n.fetch_add(1, Ordering::SeqCst) == 0 => {
            Some(r("451 4.3.0 Try later\r\n"))
        }
        // A pipelined RCPT after a refused MAIL is out of sequence.
        c if c.starts_with("RCPT") && n.load(Ordering::SeqCst) == 1 => {
            Some(r("503 5.5.1 Need MAIL\r\n"))
        }
        _ => None,
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = open(&fake, true, true).await;
    assert_eq!(
        s.mail("t@x.test", &MailParams::default())
            .await
            .unwrap()
            .code,
        250
    );
    let first = s.rcpt("b@y.test").await.unwrap();
    assert_eq!(first, Reply::status(451, 3, 0, "Try later"));
    assert!(s.mail_deferred(), "MAIL is held back again");
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 250);
    assert_eq!(s.data(b"", b"m\r\n").await.unwrap().code, 250);
    assert_eq!(
        fake.received()
            .matches("MAIL FROM:<t@x.test>\r\nRCPT")
            .count(),
        2
    );
}

#[tokio::test]
async fn data_without_an_rcpt_at_the_backend_is_refused_locally() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_CHUNKING)).await;
    let mut s = open(&fake, true, true).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    assert_eq!(s.data(b"", b"m\r\n").await.unwrap().code, 503);
    assert_eq!(fake.received(), "EHLO moat.test\r\n");
}

#[tokio::test]
async fn reset_of_a_held_back_mail_sends_nothing() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let mut s = open(&fake, true, true).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rset().await.unwrap();
    assert!(!s.mail_deferred());
    s.mail("b@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("c@y.test").await.unwrap();
    assert_eq!(
        fake.received(),
        "EHLO moat.test\r\nMAIL FROM:<b@x.test>\r\nRCPT TO:<c@y.test>\r\n"
    );
}

#[tokio::test]
async fn pipelined_mail_answered_421_makes_the_session_unusable() {
    let script = with(CAPS_ALL, |c| {
        c.starts_with("MAIL")
            .then(|| Act::ReplyThenClose("421 4.3.2 Bye\r\n".into()))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = open(&fake, true, true).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 421);
    assert!(!s.is_usable());
}

#[tokio::test]
async fn bdat_carries_the_exact_length_in_one_write_without_dot_stuffing() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_CHUNKING)).await;
    let mut s = open(&fake, true, true).await;
    assert_eq!(s.data_step(), "bdat");
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    let headers = b"X-Moat: 1\r\n";
    let body = b"Subject: s\r\n\r\n.line\r\n..two\r\n.\r\nlast";
    let reply = s.data(headers, body).await.unwrap();
    assert_eq!(reply, Reply::status(250, 0, 0, "Ok: queued as 1"));
    let size = headers.len() + body.len();
    let expected =
        format!("BDAT {size} LAST\r\nX-Moat: 1\r\nSubject: s\r\n\r\n.line\r\n..two\r\n.\r\nlast");
    assert_eq!(fake.arrivals().last().unwrap(), &expected);
    // The session is in step for the next transaction.
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    assert_eq!(s.data(b"", b"").await.unwrap().code, 250);
    assert_eq!(fake.arrivals().last().unwrap(), "BDAT 0 LAST\r\n");
}

#[tokio::test]
async fn bdat_large_message_arrives_whole() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_CHUNKING)).await;
    let mut s = open(&fake, true, true).await;
    let mut body = Vec::new();
    for i in 0..20_000 {
        body.extend_from_slice(format!(".{i} {}\r\n", "x".repeat(i % 50)).as_bytes());
    }
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    assert_eq!(s.data(b"H: 1\r\n", &body).await.unwrap().code, 250);
    let got = fake.received();
    let (command, message) = got
        .split_once("RCPT TO:<b@y.test>\r\n")
        .unwrap()
        .1
        .split_once("\r\n")
        .unwrap();
    assert_eq!(command, format!("BDAT {} LAST", body.len() + 6));
    assert_eq!(&message.as_bytes()[6..], &body[..]);
}

#[tokio::test]
async fn data_when_chunking_is_missing_or_switched_off() {
    for (caps, chunking) in [(CAPS_ALL, true), (CAPS_CHUNKING, false)] {
        let fake = Fake::start(r("220 fake\r\n"), standard(caps)).await;
        let mut s = open(&fake, true, chunking).await;
        assert_eq!(s.data_step(), "data");
        s.mail("a@x.test", &MailParams::default()).await.unwrap();
        s.rcpt("b@y.test").await.unwrap();
        assert_eq!(s.data(b"", b".x\r\n").await.unwrap().code, 250);
        assert!(fake.received().ends_with("DATA\r\n..x\r\n.\r\n"));
    }
}

#[tokio::test]
async fn lmtp_bdat_reads_one_reply_per_recipient() {
    let script = with(CAPS_CHUNKING, |c| {
        (c == "<DOT>").then(|| r("250 2.0.0 <b> saved\r\n250 2.0.0 <c> saved\r\n"))
    });
    let fake = Fake::start(r("220 fake LMTP\r\n"), script).await;
    let relay = relay_with_extensions(&fake.address, true, 5000, true, true);
    let mut s = relay.open().await.unwrap();
    for _ in 0..2 {
        s.mail("a@x.test", &MailParams::default()).await.unwrap();
        s.rcpt("b@y.test").await.unwrap();
        s.rcpt("c@y.test").await.unwrap();
        let reply = s.data(b"H: 1\r\n", b"\r\nhi\r\n").await.unwrap();
        assert_eq!(reply.lines, ["<b> saved"]);
    }
    assert!(fake.received().starts_with("LHLO moat.test\r\n"));
    assert_eq!(fake.received().matches("BDAT 12 LAST\r\n").count(), 2);
}

#[tokio::test]
async fn backend_closing_after_bdat_is_an_error_never_a_success() {
    let script = with(CAPS_CHUNKING, |c| (c == "<DOT>").then_some(Act::Close));
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = open(&fake, true, true).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    assert!(s.data(b"H: 1\r\n", b"\r\nhi\r\n").await.is_err());
    assert!(!s.is_usable());
}

#[tokio::test]
async fn refused_rcpt_after_pipelined_mail_is_reset_before_pooling() {
    let script = with(CAPS_ALL, |c| {
        c.starts_with("RCPT")
            .then(|| r("550 5.1.1 No such user\r\n"))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let relay = relay_with_extensions(&fake.address, false, 5000, true, true);
    let mut s = relay.open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 550);
    relay.release(s).await;
    assert!(fake.received().ends_with("RCPT TO:<b@y.test>\r\nRSET\r\n"));
}

#[tokio::test]
async fn held_back_mail_never_sent_needs_no_reset_before_pooling() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let relay = relay_with_extensions(&fake.address, false, 5000, true, true);
    let mut s = relay.open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    relay.release(s).await;
    let mut s = relay.open().await.unwrap();
    assert!(!s.mail_deferred(), "the pooled connection holds no MAIL");
    s.mail("b@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("c@y.test").await.unwrap();
    assert_eq!(s.data(b"", b"m\r\n").await.unwrap().code, 250);
    assert_eq!(
        fake.received(),
        "EHLO moat.test\r\nMAIL FROM:<b@x.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\nm\r\n.\r\n"
    );
}
