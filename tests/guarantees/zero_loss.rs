//! Guarantee 1: no mail is lost, none is delivered twice because of Moat.
//!
//! For each backend fault, a message goes through Moat and the invariant is checked: either
//! the client got 2xx after DATA and the backend holds the message exactly once, or the client
//! got a 4xx/5xx (at whatever stage) and the backend holds nothing. Then the backend is healed
//! and the client retries the same message in the same session: it must arrive exactly once.

use super::support::*;
use crate::common::fault_backend::{Fault, FaultBackend, refused_addr};
use std::time::{Duration, Instant};

/// What the client must see for a fault.
#[derive(Debug, Clone)]
enum Want {
    /// A 4xx reply (at whatever stage); never a 5xx, never a 2xx to the end of data.
    Transient,
    /// `451 4.4.x` (backend unavailable / timing out / closing), at whatever stage.
    Unavailable,
    /// The backend's own reply, passed through: code, enhanced code and text.
    PassThrough(&'static str),
    /// Some 4xx or 5xx; no 2xx to the end of data.
    AnyRefusal,
}

const BODY_SIZE: usize = 200 * 1024;

/// The client's view against the backend's right after the transaction. The backend commits
/// before it answers and Moat answers after the backend, so a commit of this transaction is
/// already visible; a later one would be a second copy, which the final count after
/// `settle` catches.
fn check_invariant(outcome: &Outcome, backend: &FaultBackend, marker: &str) {
    let held = backend.messages_containing(marker).len();
    if outcome.delivered() {
        assert_eq!(
            held, 1,
            "client got {:?} after DATA, so the backend must hold the message exactly once; it holds {held}",
            outcome.reply
        );
    } else {
        let c = code(&outcome.reply);
        assert!(
            (400..600).contains(&c),
            "client got neither a 2xx after DATA nor a 4xx/5xx refusal: {:?}",
            outcome.replies
        );
        assert_eq!(
            held, 0,
            "client got {:?} (stage {:?}) but the backend committed the message {held} time(s)",
            outcome.reply, outcome.stage
        );
    }
}

fn check_want(outcome: &Outcome, want: &Want) {
    let c = code(&outcome.reply);
    match want {
        Want::Transient => assert!(
            (400..500).contains(&c),
            "a transient backend failure must reach the client as a 4xx; got {:?} at {:?} (all: {:?})",
            outcome.reply,
            outcome.stage,
            outcome.replies
        ),
        Want::Unavailable => assert!(
            outcome.reply.starts_with("451 4.4."),
            "backend unavailable/timing out/closing: expected `451 4.4.x`; got {:?} at {:?} (all: {:?})",
            outcome.reply,
            outcome.stage,
            outcome.replies
        ),
        Want::PassThrough(backend_reply) => {
            let (bcode_enh, btext) = backend_reply.split_at(9); // "550 5.1.1"
            assert!(
                outcome.reply.starts_with(bcode_enh) && outcome.reply.contains(btext.trim()),
                "the backend's reply {backend_reply:?} must be passed through; client got {:?} at {:?} (all: {:?})",
                outcome.reply,
                outcome.stage,
                outcome.replies
            );
        }
        Want::AnyRefusal => assert!(
            (400..600).contains(&c),
            "expected a 4xx/5xx refusal; got {:?} (all: {:?})",
            outcome.reply,
            outcome.replies
        ),
    }
}

/// Runs one fault scenario end to end.
fn scenario(fault: Fault, want: Want) {
    run(fault, want, false)
}

/// `refused`: Moat's backend address has no listener at all.
fn run(fault: Fault, want: Want, refused: bool) {
    let started = Instant::now();
    let backend = FaultBackend::start(fault.clone());
    let conf = if refused {
        Conf::new(refused_addr())
    } else {
        Conf::for_backend(&backend)
    };
    let mut moat = conf.start();
    let (mut c, _) = connect_ehlo(&moat);

    let marker = format!("zero-loss-{}", std::process::id());
    let body = message(&marker, BODY_SIZE);
    let first = transact(&mut c, "sender@sender.test", &["alice@example.test"], &body);
    eprintln!("fault {fault:?}: {:?}", first.replies);
    check_invariant(&first, &backend, &marker);
    assert!(
        !first.delivered(),
        "fault {fault:?}: the backend never accepts under this fault, yet the client got {:?}",
        first.reply
    );
    check_want(&first, &want);

    // The session goes on after a backend failure.
    let rset = c.cmd("RSET");
    expect(
        &rset,
        "250",
        "RSET after a backend failure (the session goes on)",
    );

    if refused {
        let noop = c.cmd("NOOP");
        expect(&noop, "250", "NOOP after a backend failure");
        return;
    }

    // Heal the backend; the client retries the very same message in the same session.
    backend.set_fault(Fault::None);
    let retry = transact(&mut c, "sender@sender.test", &["alice@example.test"], &body);
    assert!(
        retry.delivered(),
        "retry with a healthy backend must be accepted; got {:?}",
        retry.replies
    );
    let held = backend.messages_containing(&marker).len();
    expect(&c.cmd("QUIT"), "221", "QUIT");
    settle(&mut moat, &backend);
    let held_now = backend.messages_containing(&marker).len();
    assert!(
        held == 1 && held_now == 1,
        "after one failed attempt and one accepted retry the backend must hold the message exactly once; holds {held_now}"
    );
    let m = &backend.messages_containing(&marker)[0];
    assert!(
        crate::common::fault_backend::contains(&m.data, &body),
        "the relayed message must contain the client's message unchanged"
    );
    assert_eq!(
        backend.bare_newlines_seen(),
        0,
        "Moat sent a bare CR/LF to the backend"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "scenario took {:?}",
        started.elapsed()
    );
}

#[test]
fn zero_loss_greeting_4xx() {
    scenario(
        Fault::Greeting("421 4.3.2 backend-greeting-busy".into()),
        Want::Transient,
    );
}

#[test]
fn zero_loss_greeting_5xx() {
    scenario(
        Fault::Greeting("554 5.3.2 backend-greeting-no".into()),
        Want::AnyRefusal,
    );
}

#[test]
fn zero_loss_ehlo_4xx() {
    scenario(
        Fault::Ehlo("421 4.3.2 backend-ehlo-busy".into()),
        Want::Transient,
    );
}

#[test]
fn zero_loss_ehlo_5xx() {
    scenario(
        Fault::Ehlo("550 5.5.1 backend-ehlo-no".into()),
        Want::AnyRefusal,
    );
}

#[test]
fn zero_loss_mail_4xx() {
    scenario(
        Fault::Mail("451 4.3.0 backend-mail-temp".into()),
        Want::PassThrough("451 4.3.0 backend-mail-temp"),
    );
}

#[test]
fn zero_loss_mail_5xx() {
    scenario(
        Fault::Mail("553 5.1.8 backend-mail-reject".into()),
        Want::PassThrough("553 5.1.8 backend-mail-reject"),
    );
}

#[test]
fn zero_loss_rcpt_4xx() {
    scenario(
        Fault::Rcpt("451 4.3.0 backend-rcpt-temp".into()),
        Want::PassThrough("451 4.3.0 backend-rcpt-temp"),
    );
}

#[test]
fn zero_loss_rcpt_5xx() {
    scenario(
        Fault::Rcpt("550 5.1.1 backend-no-such-user".into()),
        Want::PassThrough("550 5.1.1 backend-no-such-user"),
    );
}

#[test]
fn zero_loss_data_4xx() {
    scenario(
        Fault::Data("451 4.3.0 backend-data-temp".into()),
        Want::Transient,
    );
}

#[test]
fn zero_loss_data_5xx() {
    scenario(
        Fault::Data("554 5.5.1 backend-data-no".into()),
        Want::AnyRefusal,
    );
}

#[test]
fn zero_loss_end_of_data_4xx() {
    scenario(
        Fault::EndOfData("451 4.3.0 backend-eod-temp".into()),
        Want::PassThrough("451 4.3.0 backend-eod-temp"),
    );
}

#[test]
fn zero_loss_end_of_data_5xx() {
    scenario(
        Fault::EndOfData("554 5.7.1 backend-eod-reject".into()),
        Want::PassThrough("554 5.7.1 backend-eod-reject"),
    );
}

#[test]
fn zero_loss_close_mid_data() {
    scenario(Fault::CloseMidData(1000), Want::Unavailable);
}

#[test]
fn zero_loss_close_at_end_of_data() {
    scenario(Fault::CloseAtEndOfData, Want::Unavailable);
}

#[test]
fn zero_loss_stall_at_end_of_data() {
    // Moat's backend data timeout is 2s; the backend stalls for much longer.
    let t = Instant::now();
    scenario(
        Fault::StallAtEndOfData(Duration::from_secs(20)),
        Want::Unavailable,
    );
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "Moat must give up on a stalled backend after its data timeout (2s); took {:?}",
        t.elapsed()
    );
}

#[test]
fn zero_loss_backend_refused() {
    // No listener at the backend address: connections are refused.
    run(Fault::None, Want::Unavailable, true);
}

/// One of two recipients is refused by the backend (lockstep RCPT): the client sees the
/// backend's code for that one, the message goes to the other exactly once.
#[test]
fn zero_loss_rcpt_partial_refusal_passes_backend_code() {
    let backend = FaultBackend::start(Fault::RcptMatching(
        "bob@".into(),
        "550 5.1.1 backend-no-bob".into(),
    ));
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    let marker = "partial-rcpt-marker";
    let o = transact(
        &mut c,
        "sender@sender.test",
        &["alice@example.test", "bob@example.test"],
        &message(marker, 2000),
    );
    let rcpt_bob = &o.replies[2].1;
    assert!(
        rcpt_bob.starts_with("550 5.1.1") && rcpt_bob.contains("backend-no-bob"),
        "the backend's 550 5.1.1 for bob must reach the client; got {rcpt_bob:?}"
    );
    expect(&o.replies[1].1, "250", "RCPT alice");
    assert!(o.delivered(), "message to alice: {:?}", o.replies);
    let msgs = backend.messages_containing(marker);
    assert_eq!(msgs.len(), 1, "exactly one copy");
    let rcpts = msgs[0].rcpts.join(",");
    assert!(
        rcpts.contains("alice@example.test") && !rcpts.contains("bob@"),
        "backend transaction recipients must be exactly alice; got {rcpts}"
    );
}

/// Healthy path: several messages, several sessions, each delivered exactly once.
#[test]
fn zero_loss_normal_each_message_once() {
    let backend = FaultBackend::normal();
    let mut moat = Conf::for_backend(&backend).start();
    for session in 0..2 {
        let (mut c, _) = connect_ehlo(&moat);
        for n in 0..3 {
            let marker = format!("normal-once-{session}-{n}");
            let o = transact(
                &mut c,
                "sender@sender.test",
                &["alice@example.test"],
                &message(&marker, 5000),
            );
            assert!(o.delivered(), "{marker}: {:?}", o.replies);
            assert_eq!(
                backend.messages_containing(&marker).len(),
                1,
                "{marker}: the backend must hold the message exactly once when the client got 250"
            );
        }
        expect(&c.cmd("QUIT"), "221", "QUIT");
    }
    settle(&mut moat, &backend);
    assert_eq!(backend.messages().len(), 6, "six messages, no duplicates");
    assert_eq!(backend.bare_newlines_seen(), 0);
}

/// Sends `marker` to `rcpts` until every recipient has it or `attempts` run out, the way an
/// MTA does: recipients refused with 4xx (at RCPT or at the end of data) are retried in a later
/// transaction, 5xx ones are given up. With `heal_after_first_failure`, the backend's fault
/// is cleared after the first transaction that was not accepted. After every transaction the client's view is checked
/// against the backend's, per recipient. Returns the recipients that ended up delivered.
fn deliver_per_recipient(
    moat: &mut crate::common::moat::Moat,
    backend: &FaultBackend,
    marker: &str,
    rcpts: &[&str],
    heal_after_first_failure: bool,
) -> Vec<String> {
    let body = message(marker, 3000);
    let copies = |r: &str| {
        backend
            .messages_containing(marker)
            .iter()
            .filter(|m| m.rcpts.iter().any(|x| x.contains(r)))
            .count()
    };
    let mut pending: Vec<String> = rcpts.iter().map(|s| s.to_string()).collect();
    let mut delivered: Vec<String> = Vec::new();
    let (mut c, _) = connect_ehlo(moat);
    for attempt in 0..4 {
        if pending.is_empty() {
            break;
        }
        let refs: Vec<&str> = pending.iter().map(String::as_str).collect();
        let o = transact(&mut c, "sender@sender.test", &refs, &body);
        eprintln!("attempt {attempt}: {:?}", o.replies);
        // Recipients this transaction carried: RCPT answered 2xx.
        let mut carried = Vec::new();
        let mut retry = Vec::new();
        for (label, reply) in &o.replies {
            if let Some(r) = label.strip_prefix("RCPT ") {
                match code(reply) / 100 {
                    2 => carried.push(r.to_string()),
                    4 => retry.push(r.to_string()),
                    _ => {}
                }
            }
        }
        // The backend commits before it answers, so this transaction's copies are visible
        // now; a late one is caught by the count after `settle` below.
        if o.delivered() {
            for r in &carried {
                assert_eq!(
                    copies(r) - delivered.iter().filter(|d| *d == r).count(),
                    1,
                    "client got {:?} for {carried:?}: {r} must now hold exactly one new copy",
                    o.reply
                );
                delivered.push(r.clone());
            }
        } else {
            for r in &carried {
                assert_eq!(
                    copies(r),
                    delivered.iter().filter(|d| *d == r).count(),
                    "client got {:?} for {carried:?}, yet {r} got a copy (the client will retry: duplicate)",
                    o.reply
                );
            }
            if code(&o.reply) / 100 == 4 {
                retry.extend(carried.iter().cloned());
            }
        }
        pending = retry;
        if heal_after_first_failure && !o.delivered() {
            backend.set_fault(Fault::None);
        }
        let _ = c.cmd("RSET");
    }
    let _ = c.cmd("QUIT");
    settle(moat, backend);
    for r in rcpts {
        assert!(
            copies(r) <= 1,
            "{r} holds {} copies: duplicated by Moat",
            copies(r)
        );
    }
    delivered
}

/// LMTP answers once per recipient after the end of data; the SMTP client gets one answer.
/// With mixed answers (alice 250, bob 452) nothing may be lost or duplicated.
#[test]
fn zero_loss_lmtp_mixed_recipient_results() {
    let backend = FaultBackend::start_lmtp(Fault::LmtpRcptEndOfData(
        "bob@".into(),
        "452 4.2.2 backend-bob-mailbox-full".into(),
    ));
    let mut moat = Conf::for_backend(&backend).protocol("lmtp").start();
    let delivered = deliver_per_recipient(
        &mut moat,
        &backend,
        "lmtp-mixed-marker",
        &["alice@example.test", "bob@example.test"],
        true,
    );
    let mut d = delivered.clone();
    d.sort();
    assert_eq!(
        d,
        vec!["alice@example.test", "bob@example.test"],
        "after the backend healed, both recipients must have the message exactly once"
    );
}

/// LMTP, healthy: several recipients, each gets exactly one copy.
#[test]
fn zero_loss_lmtp_each_recipient_once() {
    let backend = FaultBackend::start_lmtp(Fault::None);
    let mut moat = Conf::for_backend(&backend).protocol("lmtp").start();
    let rcpts = [
        "alice@example.test",
        "bob@example.test",
        "carol@example.test",
    ];
    let mut d = deliver_per_recipient(&mut moat, &backend, "lmtp-once-marker", &rcpts, false);
    d.sort();
    assert_eq!(d, rcpts.to_vec(), "every recipient delivered once");
    assert_eq!(backend.bare_newlines_seen(), 0);
}

/// SMTP backend refusing one of two recipients only at the end of data cannot happen (SMTP
/// has one end-of-data reply); but a backend 4xx at end of data with two recipients must
/// leave both without a copy, and the retry must give each exactly one.
#[test]
fn zero_loss_smtp_two_recipients_retry_once_each() {
    let backend = FaultBackend::start(Fault::EndOfData("451 4.3.0 backend-eod-temp".into()));
    let mut moat = Conf::for_backend(&backend).start();
    let mut d = deliver_per_recipient(
        &mut moat,
        &backend,
        "smtp-two-rcpt-marker",
        &["alice@example.test", "bob@example.test"],
        true,
    );
    d.sort();
    assert_eq!(d, vec!["alice@example.test", "bob@example.test"]);
}

/// The client vanishes in the middle of DATA: nothing reaches the backend.
#[test]
fn zero_loss_client_disconnect_mid_data() {
    let backend = FaultBackend::normal();
    let mut moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("DATA"), "354", "DATA");
    let body = message("half-message-marker", 50_000);
    c.send(&body[..30_000]);
    drop(c);
    // Moat's session sees the close and ends; a graceful stop waits for it, and for anything
    // it might still (wrongly) relay.
    settle(&mut moat, &backend);
    assert!(
        backend.messages().is_empty(),
        "a half-received message was relayed"
    );
    assert!(
        backend.data_sections().is_empty(),
        "a half-received message was sent to the backend (it would be delivered truncated by a real server)"
    );
}

/// Many sessions at once, several messages each: every message exactly once.
#[test]
fn zero_loss_concurrent_sessions_each_once() {
    let backend = FaultBackend::normal();
    let mut moat = Conf::for_backend(&backend).start();
    let addr = moat.addr;
    let threads: Vec<_> = (0..6)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = crate::common::client::TcpClient::connect(addr);
                expect(&c.reply(), "220", "greeting");
                expect(&c.cmd("EHLO c.test"), "250", "EHLO");
                for n in 0..4 {
                    let marker = format!("concurrent-{t}-{n}-end");
                    let o = transact(
                        &mut c,
                        "s@sender.test",
                        &["alice@example.test"],
                        &message(&marker, 20_000),
                    );
                    assert!(o.delivered(), "{marker}: {:?}", o.replies);
                }
                let _ = c.cmd("QUIT");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    settle(&mut moat, &backend);
    for t in 0..6 {
        for n in 0..4 {
            let marker = format!("concurrent-{t}-{n}-end");
            assert_eq!(
                backend.messages_containing(&marker).len(),
                1,
                "{marker} must be at the backend exactly once"
            );
        }
    }
    assert_eq!(backend.messages().len(), 24);
}
