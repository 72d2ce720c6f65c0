//! The milter with a real Postfix in front.

use crate::common::dns::TestDns;
use crate::common::tools::{self, swaks_output, transcript};
use crate::env::{self, GTUBE, HOSTNAME};
use crate::postfix::Postfix;

/// Through Postfix: GTUBE refused at the end of data with Moat's reply and reference; a spam
/// delivered with `X-Spam-Flag: YES` and Moat's Authentication-Results (SPF checked against a
/// real DNS server); a quarantined one held in Postfix's hold queue; a denied recipient
/// refused at RCPT; with Moat stopped, Postfix applies
/// `milter_default_action = tempfail` (451).
#[test]
fn postfix_milter_rejects_marks_refuses_and_tempfails_without_moat() {
    let test = "postfix_milter_rejects_marks_refuses_and_tempfails_without_moat";
    if !tools::have(test, &["postfix", "swaks"]) {
        return;
    }
    let (_dns_rt, dns) = TestDns::start_with_runtime();
    dns.txt("origin.test", "v=spf1 ip4:127.0.0.1 -all");
    let auth = format!(
        "dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\nauth:\n  enabled: true\n",
        dns.addr
    );
    let mut d = env::start(&auth);
    let Some(postfix) = Postfix::start_or_skip(test, d.milter) else {
        return;
    };
    let send = |to: &str, message: &[u8], name: &str| {
        let file = env::write(postfix.dir(), name, message);
        transcript(&swaks_output(postfix.addr, to, &file, &[]))
    };
    let out = send(
        "alice@example.test",
        &env::message("test", GTUBE),
        "gtube.eml",
    );
    assert!(
        out.contains("<** 550 5.7.1 Message refused (ref="),
        "{out}\n{}",
        postfix.log()
    );
    let out = send(
        "alice@example.test",
        &env::message("doors-mark deal", "Hi."),
        "spam.eml",
    );
    assert!(
        out.contains("<-  250 2.0.0 Ok: queued"),
        "{out}\n{}",
        postfix.log()
    );
    let delivered = String::from_utf8(postfix.delivered(1).remove(0)).unwrap();
    assert!(delivered.contains("X-Spam-Flag: YES\n"), "{delivered}");
    assert!(delivered.contains("DOORS_MARK"), "{delivered}");
    assert!(
        delivered.contains(&format!("Authentication-Results: {HOSTNAME};")),
        "{delivered}"
    );
    assert!(delivered.contains("spf=pass"), "{delivered}");
    let out = send(
        "denied@example.test",
        &env::message("hi", "Hi."),
        "denied.eml",
    );
    assert!(
        out.contains("<** 550 5.7.1 Recipient refused (ref="),
        "{out}"
    );
    let out = send(
        "alice@example.test",
        &env::message("doors-hold offer", "Hi."),
        "hold.eml",
    );
    assert!(out.contains("<-  250 2.0.0 Ok: queued"), "{out}");
    assert!(
        wait_for(|| postfix.log().contains("milter-hold: END-OF-MESSAGE")),
        "quarantine → Postfix hold queue:\n{}",
        postfix.log()
    );
    assert!(d.moat.wait_log("door=\"milter\""), "{}", d.moat.log());

    d.moat.terminate();
    let out = send(
        "alice@example.test",
        &env::message("hello", "Hi."),
        "later.eml",
    );
    assert!(out.contains("<** 451 4.7.1"), "{out}\n{}", postfix.log());
}

/// Polls `done` for up to 10 s (Postfix logs asynchronously).
fn wait_for(done: impl Fn() -> bool) -> bool {
    crate::common::poll::poll_until(std::time::Duration::from_secs(10), done)
}
