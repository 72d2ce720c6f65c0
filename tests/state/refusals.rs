//! Refusals before the end of DATA are findings (issue 14): a DNSBL refusal, a deny-listed
//! HELO name or recipient, a greylist deferral, a rate-limit refusal, relaying denied and a
//! recipient the backend does not know each show in the `findings=` of that session's log
//! line and in `moat_check_results_total{check, result=<finding id>}`; a message the session
//! still sends carries them in `X-Spam-Status`.

use crate::common::dns::TestDns;
use crate::common::fault_backend::{Fault, FaultBackend};
use crate::support::{connect_from, metric, session, start};
use std::net::Ipv4Addr;

/// The session log line (text format) of the session from `client`, once it was written.
fn session_line(m: &crate::support::Instance, client: &str) -> String {
    let needle = format!("client={client}");
    m.moat
        .wait_log_line(|l| {
            l.contains("moat::session") && l.contains(&needle) && l.contains("findings=")
        })
        .unwrap_or_else(|| panic!("no session line for {client}:\n{}", m.moat.log()))
}

#[test]
fn refusals_before_data_are_findings_in_the_session_log_and_metrics() {
    let (_rt, dns) = TestDns::start_with_runtime();
    // 127.0.0.4 is listed; the DNSBL query is the reversed address under the zone.
    dns.a("4.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    let backend = FaultBackend::normal();
    backend.set_fault(Fault::RcptMatching(
        "nobody".into(),
        "550 5.1.1 No such user".into(),
    ));
    let extra = format!(
        "dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\n\
         reputation:\n  dnsbl: [\"bl.test=127.0.0.2*3\"]\n  threshold: 3\n\
         greylist:\n  enabled: true\n  delay: 1h\n\
         ratelimit:\n  client:\n    messages: 1\n\
         lists:\n  deny:\n    recipients: [blocked@example.test]\n  allow:\n    clients: [127.0.0.6/32]\n",
        dns.addr
    );
    let m = start(&backend, &extra);
    let addr = m.moat.addr;

    let mut listed = connect_from("127.0.0.4", addr);
    let r = listed.reply();
    assert!(r.starts_with("554 5.7.1"), "DNSBL refusal: {r}");

    let mut c = session("127.0.0.5", addr);
    assert!(c.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    let r = c.cmd("RCPT TO:<\"blocked\"@example.test>");
    assert!(r.starts_with("550 5.7.1"), "deny list: {r}");
    let r = c.cmd("RCPT TO:<someone@elsewhere.test>");
    assert!(r.starts_with("550 5.7.1"), "relaying denied: {r}");
    let r = c.cmd("RCPT TO:<alice@example.test>");
    assert!(r.starts_with("451 4.7.1"), "greylisted: {r}");
    assert!(c.cmd("RSET").starts_with("250"));
    let r = c.cmd("MAIL FROM:<s@origin.test>");
    assert!(r.starts_with("451 4.7.1"), "rate limited: {r}");
    assert!(c.cmd("QUIT").starts_with("221"));

    // An allow-listed client is not greylisted: the backend is asked, and knows no `nobody`.
    let mut c = session("127.0.0.6", addr);
    assert!(c.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    let r = c.cmd("RCPT TO:<nobody@example.test>");
    assert!(r.starts_with("550 5.1.1"), "unknown user: {r}");
    assert!(c.cmd("QUIT").starts_with("221"));
    assert!(session_line(&m, "127.0.0.6").contains("findings=RCPT_REFUSED"));

    let line = session_line(&m, "127.0.0.4");
    assert!(line.contains("findings=DNSBL_BL_TEST"), "{line}");
    let line = session_line(&m, "127.0.0.5");
    for id in [
        "GREYLIST",
        "RATELIMIT_MESSAGES",
        "DENYLIST_RECIPIENT",
        "RELAY_DENIED",
    ] {
        assert!(line.contains(id), "{id} missing from {line}");
    }
    for (check, id) in [
        ("dnsbl", "DNSBL_BL_TEST"),
        ("greylist", "GREYLIST"),
        ("ratelimit", "RATELIMIT_MESSAGES"),
        ("lists", "DENYLIST_RECIPIENT"),
        ("relay", "RELAY_DENIED"),
        ("backend", "RCPT_REFUSED"),
    ] {
        let series = format!("moat_check_results_total{{check=\"{check}\",result=\"{id}\"}}");
        assert_eq!(metric(m.admin, &series), 1.0, "{series}");
    }
}

/// The HELO stage and the RCPT stage's relaying and deny list decide by the policy table like
/// the others: each refusal is a finding in the session line and the metric, and the message
/// the client then sends is relayed with them in `tests=` (score 0: they acted already).
#[test]
fn helo_and_rcpt_refusals_are_findings_of_the_message_relayed_after_them() {
    let backend = FaultBackend::normal();
    let extra =
        "lists:\n  deny:\n    helo: [bad-helo.test]\n    recipients: [blocked@example.test]\n";
    let m = start(&backend, extra);
    let mut c = connect_from("127.0.0.8", m.moat.addr);
    assert!(c.reply().starts_with("220"));
    let r = c.cmd("EHLO bad-helo.test");
    assert!(
        r.starts_with("550 5.7.1 HELO name refused (ref="),
        "HELO deny: {r}"
    );
    assert!(
        c.cmd("MAIL FROM:<s@origin.test>").starts_with("503"),
        "no HELO yet"
    );
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    let r = c.cmd("RCPT TO:<blocked@example.test>");
    assert!(
        r.starts_with("550 5.7.1 Recipient refused"),
        "deny list: {r}"
    );
    let r = c.cmd("RCPT TO:<u@elsewhere.test>");
    assert!(
        r.starts_with("550 5.7.1 Relaying denied"),
        "relaying denied: {r}"
    );
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    let end = c.cmd("Subject: after refusals\r\n\r\nhello\r\n.");
    assert!(end.starts_with("250"), "{end}");
    assert!(c.cmd("QUIT").starts_with("221"));

    let relayed = backend.messages_containing("after refusals");
    assert_eq!(relayed.len(), 1);
    // The header as one line (it is folded at commas).
    let text = relayed[0].text().replace("\r\n\t", "");
    let status = text
        .lines()
        .find(|l| l.starts_with("X-Spam-Status:"))
        .unwrap_or_else(|| panic!("no X-Spam-Status in {text}"));
    for id in ["DENYLIST_HELO", "DENYLIST_RECIPIENT", "RELAY_DENIED"] {
        assert!(status.contains(id), "{id} missing from {status}");
    }
    let line = session_line(&m, "127.0.0.8");
    assert!(
        line.contains("findings=DENYLIST_HELO,DENYLIST_RECIPIENT,RELAY_DENIED"),
        "{line}"
    );
    for (check, id) in [
        ("lists", "DENYLIST_HELO"),
        ("lists", "DENYLIST_RECIPIENT"),
        ("relay", "RELAY_DENIED"),
    ] {
        let series = format!("moat_check_results_total{{check=\"{check}\",result=\"{id}\"}}");
        assert_eq!(metric(m.admin, &series), 1.0, "{series}");
    }
}
