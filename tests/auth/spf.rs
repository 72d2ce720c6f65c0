//! SPF results for both identities (HELO and MAIL FROM), each in the header and as a finding.

use super::env::*;

/// Test domains named after the result they produce for a client at 127.0.0.1.
fn spf_zone(env: &Env) {
    let dns = &env.dns;
    dns.txt("pass.spf.test", "v=spf1 ip4:127.0.0.1 -all");
    dns.txt("fail.spf.test", "v=spf1 ip4:192.0.2.1 -all");
    dns.txt("softfail.spf.test", "v=spf1 ~all");
    dns.txt("neutral.spf.test", "v=spf1 ?all");
    dns.a("none.spf.test", "192.0.2.1".parse().unwrap());
    dns.txt("syntax.permerror.spf.test", "v=spf1 include -all");
    // Eleven DNS-querying mechanisms: over the limit of ten (RFC 7208 4.6.4).
    let many: Vec<String> = (1..=11).map(|i| format!("a:n{i}.spf.test")).collect();
    dns.txt(
        "lookups.permerror.spf.test",
        &format!("v=spf1 {} -all", many.join(" ")),
    );
    for i in 1..=11 {
        dns.a(&format!("n{i}.spf.test"), "192.0.2.1".parse().unwrap());
    }
    dns.txt("temperror.spf.test", "v=spf1 ip4:127.0.0.1 -all");
    dns.drop_queries_for("temperror.spf.test");
}

#[test]
fn auth_spf_every_result_for_helo_and_mail_from() {
    let env = Env::start("");
    spf_zone(&env);
    let msg = message("a@sender.test", "spf");
    for (domain, result) in [
        ("pass.spf.test", "pass"),
        ("fail.spf.test", "fail"),
        ("softfail.spf.test", "softfail"),
        ("neutral.spf.test", "neutral"),
        ("none.spf.test", "none"),
        ("syntax.permerror.spf.test", "permerror"),
        ("lookups.permerror.spf.test", "permerror"),
        ("temperror.spf.test", "temperror"),
    ] {
        let from = format!("a@{domain}");
        let outcome = env.authenticate("", domain, &from, &msg);
        let header = outcome.header.replace("\r\n\t", " ");
        assert!(
            header.contains(&format!("spf={result} smtp.helo={domain};")),
            "HELO {domain}: {header}"
        );
        assert!(
            header.contains(&format!("spf={result} smtp.mailfrom={from};")),
            "MAIL FROM {domain}: {header}"
        );
        let ids = ids(&outcome);
        let upper = result.to_ascii_uppercase();
        assert!(
            ids.contains(&format!("SPF_HELO_{upper}").as_str()),
            "{domain}: {ids:?}"
        );
        assert!(
            ids.contains(&format!("SPF_{upper}").as_str()),
            "{domain}: {ids:?}"
        );
    }
}

#[test]
fn auth_spf_null_sender_is_checked_as_postmaster_at_helo() {
    let env = Env::start("");
    spf_zone(&env);
    let outcome = env.authenticate("", "fail.spf.test", "", &message("a@sender.test", "null"));
    let header = outcome.header.replace("\r\n\t", " ");
    assert!(
        header.contains("spf=fail smtp.mailfrom=postmaster@fail.spf.test"),
        "{header}"
    );
}

#[test]
fn auth_spf_fail_scores_by_default_and_rejects_when_configured() {
    let env = Env::start("");
    spf_zone(&env);
    let msg = message("a@sender.test", "spf-policy");
    // The check reports the fact; what it is worth is the policy table's answer.
    let outcome = env.authenticate("", "fail.spf.test", "a@fail.spf.test", &msg);
    assert!(outcome.findings.iter().any(|f| f.id == "SPF_FAIL"));
    let entry = env.policy_table("").get("SPF_FAIL").cloned().unwrap();
    assert_eq!((entry.score, entry.force), (3.0, None));
    let policy = "  policy:\n    SPF_FAIL: {score: 0.5, action: reject}";
    let entry = env.policy_table(policy).get("SPF_FAIL").cloned().unwrap();
    assert_eq!(entry.score, 0.5);
    assert_eq!(entry.force, Some(moat::verdict::Action::Reject));
}

#[test]
fn auth_dns_answer_too_large_for_udp_is_fetched_over_tcp() {
    let env = Env::start("");
    // ~2 KB of SPF: more than a UDP answer carries, so the resolver retries over TCP.
    let many: Vec<String> = (1..=100).map(|i| format!("ip4:192.0.2.{i}")).collect();
    let record = format!("v=spf1 {} ip4:127.0.0.1 -all", many.join(" "));
    env.dns.txt("big.spf.test", &record);
    let msg = message("a@sender.test", "big");
    let outcome = env.authenticate("", "mail.sender.test", "a@big.spf.test", &msg);
    let header = outcome.header.replace("\r\n\t", " ");
    assert!(
        header.contains("spf=pass smtp.mailfrom=a@big.spf.test"),
        "{header}"
    );
    assert!(env.dns.tcp_queries() > 0, "no TCP query");
}
