//! The backend connection pool keeps every guarantee: reuse happens, a backend that closes
//! idle connections costs no message and no wrong reply, an aborted transaction is reset
//! before reuse, and a connection that failed mid-transaction is never reused.

use crate::common::fault_backend::{Fault, FaultBackend};
use crate::support::*;
use std::time::Duration;

/// One client session: EHLO, one message, QUIT. Returns the outcome.
fn session(moat: &crate::common::moat::Moat, marker: &str) -> Outcome {
    let (mut c, _) = connect_ehlo(moat);
    let o = transact(
        &mut c,
        "sender@sender.test",
        &["alice@example.test"],
        &message(marker, 300),
    );
    expect(&c.cmd("QUIT"), "221", "QUIT");
    o
}

fn assert_once(backend: &FaultBackend, marker: &str) {
    let n = backend.wait_messages_containing(marker, 1, Duration::from_secs(2));
    assert_eq!(n, 1, "{marker} must be held exactly once");
}

#[test]
fn sequential_client_sessions_share_one_backend_connection() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    for i in 0..5 {
        let marker = format!("pool-seq-{i}");
        let o = session(&moat, &marker);
        assert!(o.delivered(), "{:?}", o.replies);
        assert_once(&backend, &marker);
    }
    assert_eq!(backend.connections(), 1, "{:?}", backend.commands());
}

#[test]
fn backend_closing_idle_connections_costs_no_message_and_no_wrong_reply() {
    // Like Postfix's smtpd_timeout: 421 and close after 300 ms without a command.
    let backend = FaultBackend::start(Fault::IdleTimeout(Duration::from_millis(300)));
    let moat = Conf::for_backend(&backend).start();
    for i in 0..3 {
        let marker = format!("pool-idle-{i}");
        let o = session(&moat, &marker);
        assert!(o.delivered(), "{:?}", o.replies);
        assert!(
            o.replies.iter().all(|(_, r)| !r.starts_with("421")),
            "the backend's idle 421 reached the client: {:?}",
            o.replies
        );
        assert_once(&backend, &marker);
        // Until the backend has timed the pooled connection out and closed it.
        assert!(backend.wait_closed(Duration::from_secs(5)), "idle timeout");
    }
    assert_eq!(backend.connections(), 3);
}

#[test]
fn aborted_transaction_is_reset_before_the_connection_is_reused() {
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).start();
    let (mut c, _) = connect_ehlo(&moat);
    expect(&c.cmd("MAIL FROM:<a@sender.test>"), "250", "MAIL");
    expect(&c.cmd("RCPT TO:<alice@example.test>"), "250", "RCPT");
    expect(&c.cmd("QUIT"), "221", "QUIT mid-transaction");
    let o = session(&moat, "pool-after-abort");
    assert!(o.delivered(), "{:?}", o.replies);
    assert_once(&backend, "pool-after-abort");
    let commands = backend.commands();
    let verbs: Vec<&str> = commands
        .iter()
        .map(|c| c.split([' ', ':']).next().unwrap_or(""))
        .collect();
    assert_eq!(
        &verbs[..4],
        ["EHLO", "MAIL", "RCPT", "RSET"],
        "{commands:?}"
    );
    assert_eq!(backend.connections(), 1);
}

#[test]
fn connection_is_not_reused_after_a_mid_data_failure() {
    // The backend takes the message and never answers: Moat times out (2 s), answers 451,
    // and must not hand that connection, whose state is unknown, to the next session.
    let backend = FaultBackend::start(Fault::StallAtEndOfData(Duration::from_secs(10)));
    let moat = Conf::for_backend(&backend).start();
    let o = session(&moat, "pool-stalled");
    assert!(!o.delivered(), "{:?}", o.replies);
    expect(&o.reply, "451", "end of data after a backend timeout");
    backend.set_fault(Fault::None);
    let o = session(&moat, "pool-after-stall");
    assert!(o.delivered(), "{:?}", o.replies);
    assert_once(&backend, "pool-after-stall");
    assert_eq!(backend.connections(), 2);
}
