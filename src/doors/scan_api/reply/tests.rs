use super::*;
use crate::checks::Finding;

fn judged(findings: Vec<(&str, f64)>) -> Judged {
    let findings = findings
        .into_iter()
        .map(|(id, score)| Finding {
            id: id.into(),
            score,
            reason: format!("why {id}"),
            force: None,
        })
        .collect();
    Judged {
        verdict: crate::verdict::decide(findings, &Thresholds::default()),
        auth_header: "Authentication-Results: mx.example.test; spf=pass\r\n".into(),
        stripped: None,
    }
}

fn extra(t: &Thresholds) -> Extra<'_> {
    Extra {
        reference: "REF",
        message_id: Some("a@b".into()),
        subject: Some("hello".into()),
        subject_tag: "[SPAM]",
        thresholds: t,
        seconds: 0.0,
    }
}

#[test]
fn every_moat_action_has_an_rspamd_name() {
    let names: Vec<_> = Action::ALL.into_iter().map(rspamd_action).collect();
    assert_eq!(
        names,
        [
            "no action",
            "add header",
            "rewrite subject",
            "add header",
            "soft reject",
            "reject"
        ]
    );
}

#[test]
fn checkv2_has_rspamds_fields_and_moats_headers() {
    let t = Thresholds::default();
    let j = judged(vec![("RULE_A", 3.0), ("RULE_A", 1.5), ("SPF_PASS", -0.5)]);
    let v = checkv2(&j, &extra(&t));
    assert_eq!(v["action"], "add header");
    assert_eq!(v["score"], 4.0);
    assert_eq!(v["required_score"], 15.0);
    assert_eq!(v["symbols"]["RULE_A"]["score"], 4.5);
    assert_eq!(v["symbols"]["SPF_PASS"]["description"], "why SPF_PASS");
    assert_eq!(v["message-id"], "a@b");
    let add = &v["milter"]["add_headers"];
    assert_eq!(add["X-Spam-Flag"]["value"], "YES");
    assert_eq!(
        add["Authentication-Results"]["value"],
        "mx.example.test; spf=pass"
    );
    assert_eq!(v["milter"]["remove_headers"]["X-Spam-Flag"], 0);
    assert_eq!(v["thresholds"]["add header"], 4.0);
}

#[test]
fn refusals_carry_the_reference_in_smtp_message() {
    let t = Thresholds::default();
    let v = checkv2(&judged(vec![("BIG", 20.0)]), &extra(&t));
    assert_eq!(v["action"], "reject");
    assert_eq!(v["messages"]["smtp_message"], "Message refused (ref=REF)");
    let v1 = check_v1(&judged(vec![("BIG", 20.0)]), &extra(&t));
    assert_eq!(v1["default"]["is_spam"], true);
    assert_eq!(v1["default"]["BIG"]["score"], 20.0);
}

#[test]
fn rewrite_subject_tags_the_subject() {
    let t = Thresholds {
        rewrite_subject: Some(5.0),
        ..Thresholds::default()
    };
    let mut j = judged(vec![("X", 6.0)]);
    j.verdict = crate::verdict::decide(j.verdict.findings, &t);
    let v = checkv2(&j, &extra(&t));
    assert_eq!(v["action"], "rewrite subject");
    assert_eq!(v["subject"], "[SPAM] hello");
}
