//! Transport failures of the SMTP/LMTP client: each must be an `Err` (the driver answers 4xx)
//! and leave the session unusable, never a reply attributed to the wrong command.

use tokio::net::TcpListener;

use super::fake_backend::*;
use crate::relay::{RelayError, ReplyError, Stage};
use crate::smtp::MailParams;

#[tokio::test]
async fn connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = relay(&format!("127.0.0.1:{port}"), false, 5000)
        .open()
        .await
        .unwrap_err();
    assert!(matches!(err, RelayError::Connect { .. }), "{err:?}");
    assert_eq!((err.stage(), err.is_timeout()), (Stage::Connect, false));
}

#[tokio::test]
async fn greeting_other_than_220_is_an_error() {
    let fake = Fake::start(r("554 5.3.2 Not now\r\n"), standard(CAPS_ALL)).await;
    let err = relay(&fake.address, false, 5000).open().await.unwrap_err();
    assert!(
        matches!(&err, RelayError::Greeting { reply } if reply.code == 554),
        "{err:?}"
    );
}

#[tokio::test]
async fn stalled_greeting_times_out() {
    let fake = Fake::start(Act::Stall, standard(CAPS_ALL)).await;
    let err = relay(&fake.address, false, 200).open().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.stage(), Stage::Greeting);
}

#[tokio::test]
async fn stalled_command_times_out() {
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(CAPS_ALL, |c| c.starts_with("RCPT").then_some(Act::Stall)),
    )
    .await;
    let mut s = relay(&fake.address, false, 200).open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    let err = s.rcpt("b@y.test").await.unwrap_err();
    assert_eq!((err.stage(), err.is_timeout()), (Stage::Rcpt, true));
    assert!(!s.is_usable());
    assert!(matches!(s.rset().await, Err(RelayError::Unusable { .. })));
}

#[tokio::test]
async fn stalled_final_reply_times_out() {
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(CAPS_ALL, |c| (c == "<DOT>").then_some(Act::Stall)),
    )
    .await;
    let mut s = relay(&fake.address, false, 200).open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    let err = s.data(b"", b"m\r\n").await.unwrap_err();
    assert_eq!((err.stage(), err.is_timeout()), (Stage::DataEnd, true));
    assert!(!s.is_usable());
}

#[tokio::test]
async fn backend_closing_after_the_dot_is_an_error() {
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(CAPS_ALL, |c| (c == "<DOT>").then_some(Act::Close)),
    )
    .await;
    let mut s = smtp(&fake).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    let err = s.data(b"", b"m\r\n").await.unwrap_err();
    assert!(
        matches!(
            err,
            RelayError::Closed {
                stage: Stage::DataEnd
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn backend_closing_mid_data_is_an_error() {
    let script = with(CAPS_ALL, |c| {
        (c == "DATA").then(|| Act::ReplyThenClose("354 go\r\n".into()))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    let err = s.data(b"", &vec![b'x'; 1 << 20]).await.unwrap_err();
    assert!(
        matches!(err.stage(), Stage::Data | Stage::DataEnd),
        "{err:?}"
    );
    assert!(!s.is_usable());
}

#[tokio::test]
async fn garbage_and_overlong_replies_are_errors() {
    let script = with(CAPS_LOCKSTEP, |c| match c {
        c if c.starts_with("MAIL") => Some(r("hello there\r\n")),
        c if c.starts_with("RCPT") => Some(Act::Reply(format!("250 {}\r\n", "x".repeat(70_000)))),
        "DATA" => Some(Act::Reply("250-x\r\n".repeat(600))),
        _ => None,
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let err = smtp(&fake)
        .await
        .mail("a@x.test", &MailParams::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RelayError::BadReply {
                stage: Stage::Mail,
                source: ReplyError::BadLine(_)
            }
        ),
        "{err:?}"
    );
    let err = smtp(&fake).await.rcpt("b@y.test").await.unwrap_err();
    assert!(
        matches!(
            err,
            RelayError::BadReply {
                source: ReplyError::TooLong,
                ..
            }
        ),
        "{err:?}"
    );
    let err = smtp(&fake).await.data(b"", b"").await.unwrap_err();
    assert!(
        matches!(
            err,
            RelayError::BadReply {
                stage: Stage::Data,
                source: ReplyError::TooManyLines
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn unsolicited_reply_lines_are_an_error() {
    let script = with(CAPS_LOCKSTEP, |c| {
        c.starts_with("MAIL")
            .then(|| r("250 2.1.0 Ok\r\n250 2.1.5 Extra\r\n"))
    });
    let fake = Fake::start(r("220 fake\r\n"), script).await;
    let mut s = smtp(&fake).await;
    assert_eq!(
        s.mail("a@x.test", &MailParams::default())
            .await
            .unwrap()
            .code,
        250
    );
    let err = s.rcpt("b@y.test").await.unwrap_err();
    assert!(
        matches!(err, RelayError::Unexpected { stage: Stage::Rcpt }),
        "{err:?}"
    );
}
