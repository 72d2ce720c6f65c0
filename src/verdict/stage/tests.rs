use super::*;
use crate::config::Config;

fn table(extra: &str) -> PolicyTable {
    let yaml = format!(
        "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n{extra}"
    );
    Config::from_yaml(&yaml, "t.yaml").unwrap().table
}

fn fact(id: &str) -> Finding {
    Finding::fact(id, "test")
}

#[test]
fn dnsbl_total_at_the_threshold_refuses_at_connect() {
    let t = table(
        "reputation:\n  dnsbl: [\"a.test*2\", \"b.test*2\", \"w.test*-3\"]\n  threshold: 3\n",
    );
    let one = decide(Stage::Connect, "dnsbl", vec![fact("DNSBL_A_TEST")], &t);
    let Decision::Continue(kept) = one else {
        panic!("2 < 3 continues")
    };
    assert_eq!(kept[0].score, 2.0, "scored by the table");
    let two = vec![fact("DNSBL_A_TEST"), fact("DNSBL_B_TEST")];
    let Decision::Refuse(r) = decide(Stage::Connect, "dnsbl", two, &t) else {
        panic!("4 ≥ 3 refuses")
    };
    assert_eq!(r.findings, ["DNSBL_A_TEST", "DNSBL_B_TEST"]);
    assert_eq!(
        r.reply.to_string(),
        "554 5.7.1 Service unavailable; client address listed"
    );
    let whitelisted = vec![
        fact("DNSBL_A_TEST"),
        fact("DNSBL_B_TEST"),
        fact("DNSWL_W_TEST"),
    ];
    assert!(matches!(
        decide(Stage::Connect, "dnsbl", whitelisted, &t),
        Decision::Continue(_)
    ));
}

#[test]
fn forced_actions_refuse_with_their_findings_reply() {
    let t = table("");
    let cases = [
        (
            Stage::Connect,
            "DENYLIST_CLIENT",
            "554 5.7.1 Service unavailable; access denied",
        ),
        (
            Stage::Connect,
            "RATELIMIT_CONNECTIONS",
            "421 4.7.0 Too many connections, try again later",
        ),
        (
            Stage::Mail,
            "RATELIMIT_MESSAGES",
            "451 4.7.1 Rate limit exceeded, try again later",
        ),
        (
            Stage::Rcpt,
            "RATELIMIT_RECIPIENTS",
            "451 4.7.1 Rate limit exceeded, try again later",
        ),
        (
            Stage::Rcpt,
            "GREYLIST",
            "451 4.7.1 Greylisted, try again later",
        ),
        (Stage::Helo, "DENYLIST_HELO", "550 5.7.1 HELO name refused"),
        (Stage::Rcpt, "RELAY_DENIED", "550 5.7.1 Relaying denied"),
        (
            Stage::Rcpt,
            "DENYLIST_RECIPIENT",
            "550 5.7.1 Recipient refused",
        ),
    ];
    for (stage, id, reply) in cases {
        let Decision::Refuse(r) = decide(stage, "test", vec![fact(id)], &t) else {
            panic!("{id} refuses")
        };
        assert_eq!(r.reply.to_string(), reply, "{id}");
        assert_eq!(r.findings, [id]);
        // Only a permanent refusal of what was asked at HELO or RCPT is a strike.
        let strike = matches!(id, "DENYLIST_HELO" | "RELAY_DENIED" | "DENYLIST_RECIPIENT");
        assert_eq!(r.strike, strike, "{id}");
    }
}

#[test]
fn pregreet_refuses_only_when_configured_to() {
    let scored_only = table("");
    let Decision::Continue(f) = decide(
        Stage::Connect,
        "pregreet",
        vec![fact("PREGREET")],
        &scored_only,
    ) else {
        panic!("a finding by default")
    };
    assert_eq!(f[0].score, 3.0, "carried to the message with its score");
    let rejects = table("reputation:\n  pregreet_action: reject\n");
    let Decision::Refuse(r) = decide(Stage::Connect, "pregreet", vec![fact("PREGREET")], &rejects)
    else {
        panic!("reject")
    };
    assert_eq!(
        r.reply.to_string(),
        "554 5.5.1 Protocol error: talked before the greeting"
    );
}

/// At the end of DATA the table scores every finding it names; a finding carried from an
/// earlier stage brings its score, never its forced action (it acted there already).
#[test]
fn carried_findings_bring_their_score_not_their_action() {
    let t = table("reputation:\n  dnsbl: [\"bl.test*2\"]\n  threshold: 9\n");
    let dnsbl = weighed_at(Stage::Data, &t, fact("DNSBL_BL_TEST"));
    assert_eq!((dnsbl.score, dnsbl.force), (2.0, None));
    let relay = weighed_at(Stage::Data, &t, fact("RELAY_DENIED"));
    assert_eq!((relay.score, relay.force), (0.0, None));
    let spf = weighed_at(Stage::Data, &t, fact("SPF_FAIL"));
    assert_eq!(spf.score, 3.0, "auth's score is the table's");
    let deny = weighed_at(Stage::Data, &t, fact("DENYLIST"));
    assert_eq!(deny.force, Some(Action::Reject));
    let mut rule = fact("RULE_X");
    rule.score = 1.5;
    assert_eq!(
        weighed_at(Stage::Data, &t, rule).score,
        1.5,
        "not in the table"
    );
}

/// A finding decided at a later stage never refuses an earlier one.
#[test]
fn later_stage_findings_are_carried_not_decided() {
    let t = table("auth:\n  policy:\n    SPF_FAIL: {action: reject}\n");
    let d = decide(Stage::Mail, "auth", vec![fact("SPF_FAIL")], &t);
    let Decision::Continue(f) = d else {
        panic!("SPF is decided at the end of DATA")
    };
    assert_eq!(f[0].force, Some(Action::Reject));
}
