//! Sender authentication feeds the metrics: every DNS-based verification is counted by kind
//! and result with its latency (a dead DNS shows as `temperror`, the MoatDnsFailures alert's
//! signal), and its findings count as check results of the check `auth`.
//!
//! Moat runs in-process here, so the registry is this test binary's, shared with the other
//! auth tests running in parallel: counters are compared as "grew by at least".

use super::env::*;
use moat::metrics;

fn lookups(kind: &str, result: &str) -> u64 {
    metrics::get()
        .dns_lookups
        .with_label_values(&[kind, result])
        .get()
}

fn auth_result(id: &str) -> u64 {
    metrics::get()
        .check_results
        .with_label_values(&["auth", id])
        .get()
}

#[test]
fn auth_verifications_count_as_dns_lookups_and_auth_check_results() {
    let env = Env::start("");
    let before = (
        lookups("spf", "pass"),
        lookups("iprev", "pass"),
        lookups("dmarc", "pass"),
        auth_result("SPF_PASS"),
    );
    let latency_before = metrics::get()
        .dns_duration
        .with_label_values(&["spf"])
        .get_sample_count();
    let msg = message("a@sender.test", "metrics");
    let reply = env.send(
        "mail.sender.test",
        "a@sender.test",
        "alice@example.test",
        &msg,
    );
    assert!(reply.starts_with("250"), "{reply}");
    assert!(lookups("spf", "pass") > before.0);
    assert!(lookups("iprev", "pass") > before.1);
    assert!(lookups("dmarc", "pass") > before.2);
    assert!(auth_result("SPF_PASS") > before.3);
    let latency = metrics::get()
        .dns_duration
        .with_label_values(&["spf"])
        .get_sample_count();
    assert!(latency > latency_before);

    // A dead DNS server: the verifications end in temperror, and are counted so.
    let temperrors = lookups("spf", "temperror");
    env.dns.set_dead(true);
    let reply = env.send(
        "mail.sender.test",
        "a@sender.test",
        "alice@example.test",
        &msg,
    );
    assert!(!reply.is_empty());
    assert!(lookups("spf", "temperror") > temperrors);
}
