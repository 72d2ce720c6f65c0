//! The backend connection pool: reuse happens, and never at the cost of a message or a reply
//! attributed to the wrong command.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::fake_backend::*;
use crate::config::pool::PoolConfig;
use crate::config::{BackendConfig, BackendTarget, BackendTimeouts};
use crate::relay::{BackendSession, Relay};
use crate::smtp::MailParams;

fn relay_with(address: &str, pool: PoolConfig) -> Relay {
    let t = Duration::from_secs(5);
    let cfg = BackendConfig {
        target: BackendTarget::Smtp {
            address: address.to_string(),
        },
        helo: "moat.test".into(),
        timeouts: BackendTimeouts {
            connect: t,
            command: t,
            data: t,
        },
        pool,
        pipelining: true,
        chunking: true,
    };
    Relay::new(&cfg, "mx.test")
}

/// One whole transaction; returns the final reply code.
async fn send_one(s: &mut BackendSession) -> u16 {
    let mail = s.mail("a@x.test", &MailParams::default()).await.unwrap();
    assert_eq!(mail.code, 250, "{mail}");
    assert_eq!(s.rcpt("b@y.test").await.unwrap().code, 250);
    s.data(b"H: 1\r\n", b"\r\nhi\r\n").await.unwrap().code
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test]
async fn sequential_sessions_reuse_one_backend_connection() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    for _ in 0..3 {
        let mut s = relay.open().await.unwrap();
        assert_eq!(send_one(&mut s).await, 250);
        relay.release(s).await;
    }
    let seen = fake.received();
    assert_eq!(count(&seen, "EHLO"), 1, "{seen}");
    assert_eq!(count(&seen, "MAIL FROM"), 3, "{seen}");
    assert_eq!(count(&seen, "QUIT"), 0, "{seen}");
}

#[tokio::test]
async fn aborted_transaction_is_reset_before_the_connection_is_pooled() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    let mut s = relay.open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    relay.release(s).await;
    let seen = fake.received();
    assert!(seen.ends_with("RCPT TO:<b@y.test>\r\nRSET\r\n"), "{seen}");
    let mut s = relay.open().await.unwrap();
    assert_eq!(send_one(&mut s).await, 250);
    assert_eq!(count(&fake.received(), "EHLO"), 1);
}

#[tokio::test]
async fn connection_failed_mid_data_is_never_pooled() {
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(CAPS_ALL, |c| (c == "<DOT>").then_some(Act::Close)),
    )
    .await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    let mut s = relay.open().await.unwrap();
    s.mail("a@x.test", &MailParams::default()).await.unwrap();
    s.rcpt("b@y.test").await.unwrap();
    assert!(s.data(b"H: 1\r\n", b"\r\nhi\r\n").await.is_err());
    relay.release(s).await;
    let Some(crate::relay::Target::Smtp(_, pool)) = Some(&relay.target) else {
        unreachable!()
    };
    assert_eq!(pool.idle(), 0);
}

#[tokio::test]
async fn idle_421_from_the_backend_is_never_taken_as_an_answer() {
    // The backend commits the message, then its idle timeout fires: 421 and close.
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(CAPS_ALL, |c| {
            (c == "<DOT>")
                .then(|| Act::ReplyThenClose("250 2.0.0 Ok\r\n421 4.4.2 Idle timeout\r\n".into()))
        }),
    )
    .await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    for _ in 0..3 {
        let mut s = relay.open().await.unwrap();
        assert_eq!(send_one(&mut s).await, 250);
        relay.release(s).await;
    }
    assert_eq!(count(&fake.received(), "EHLO"), 3);
}

#[tokio::test]
async fn reused_connection_that_dies_at_mail_is_replaced_and_mail_retried() {
    // Lockstep MAIL, and MAIL held back and pipelined with the first RCPT.
    for caps in [CAPS_LOCKSTEP, CAPS_ALL] {
        reused_connection_dies_at_mail(caps).await;
    }
}

async fn reused_connection_dies_at_mail(caps: &'static str) {
    // The second MAIL overall (the first on the reused connection) finds it closed.
    let mails = Arc::new(AtomicUsize::new(0));
    let n = mails.clone();
    let fake = Fake::start(
        r("220 fake\r\n"),
        with(caps, move |c| {
            let second = c.starts_with("MAIL") && n.fetch_add(1, Ordering::SeqCst) == 1;
            second.then_some(Act::Close)
        }),
    )
    .await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    let mut s = relay.open().await.unwrap();
    assert_eq!(send_one(&mut s).await, 250);
    relay.release(s).await;
    let mut s = relay.open().await.unwrap();
    assert_eq!(send_one(&mut s).await, 250);
    assert_eq!(mails.load(Ordering::SeqCst), 3);
    assert_eq!(count(&fake.received(), "EHLO"), 2);
}

#[tokio::test]
async fn connection_is_closed_after_max_transactions() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let cfg = PoolConfig {
        max_transactions: 2,
        ..PoolConfig::default()
    };
    let relay = relay_with(&fake.address, cfg);
    for _ in 0..3 {
        let mut s = relay.open().await.unwrap();
        assert_eq!(send_one(&mut s).await, 250);
        relay.release(s).await;
    }
    let seen = fake.received();
    assert_eq!(count(&seen, "EHLO"), 2, "{seen}");
    assert_eq!(count(&seen, "QUIT"), 1, "{seen}");
}

#[tokio::test]
async fn expired_idle_connection_is_closed_not_reused() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let age = Duration::from_secs(2);
    let cfg = PoolConfig {
        max_idle_age: age,
        ..PoolConfig::default()
    };
    let relay = relay_with(&fake.address, cfg);
    let mut s = relay.open().await.unwrap();
    assert_eq!(send_one(&mut s).await, 250);
    relay.release(s).await;
    // The idle age passes on Moat's clock, not in real time: tokio's paused clock would also
    // jump past the relay's timeouts while the fake backend's socket I/O is in flight. (The
    // offset is process-wide; 2 s moves no other unit test's outcome.)
    crate::clock::advance(age);
    // The next session finds the pooled connection too old: it says QUIT on it and opens
    // a new one.
    let mut s = relay.open().await.unwrap();
    assert_eq!(send_one(&mut s).await, 250);
    assert_eq!(count(&fake.received(), "EHLO"), 2);
    // The QUIT goes out from its own task: poll (bounded) until the fake has read it.
    for _ in 0..1000 {
        if count(&fake.received(), "QUIT") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(count(&fake.received(), "QUIT"), 1, "{}", fake.received());
}

#[tokio::test]
async fn pool_of_zero_closes_every_connection() {
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_ALL)).await;
    let cfg = PoolConfig {
        max_idle: 0,
        ..PoolConfig::default()
    };
    let relay = relay_with(&fake.address, cfg);
    for _ in 0..2 {
        let mut s = relay.open().await.unwrap();
        assert_eq!(send_one(&mut s).await, 250);
        relay.release(s).await;
    }
    let seen = fake.received();
    assert_eq!(
        (count(&seen, "EHLO"), count(&seen, "QUIT")),
        (2, 2),
        "{seen}"
    );
}

#[tokio::test]
async fn pooled_connection_without_any_mail_is_still_probed_on_reuse() {
    // MAIL answered locally (SMTPUTF8 without backend support): nothing sent, yet the
    // connection idled in the pool and must be treated as possibly closed.
    let fake = Fake::start(r("220 fake\r\n"), standard(CAPS_NONE)).await;
    let relay = relay_with(&fake.address, PoolConfig::default());
    let mut s = relay.open().await.unwrap();
    let utf8 = MailParams {
        smtputf8: true,
        ..MailParams::default()
    };
    assert_eq!(s.mail("a@x.test", &utf8).await.unwrap().code, 553);
    relay.release(s).await;
    let s = relay.open().await.unwrap();
    let crate::relay::Inner::Smtp(smtp) = &s.inner else {
        unreachable!()
    };
    assert!(smtp.has_idled());
    assert_eq!(count(&fake.received(), "EHLO"), 1);
}
