use super::*;
use crate::checks::Finding;
use crate::verdict::Thresholds;

fn judged(score: f64, t: &Thresholds) -> Judged {
    let f = Finding {
        id: "R".into(),
        score,
        reason: String::new(),
        force: None,
    };
    Judged {
        verdict: crate::verdict::decide(vec![f], t),
        auth_header: "Authentication-Results: mx.example.test; spf=pass\r\n".into(),
        stripped: None,
    }
}

fn h(name: &str, value: &str) -> (String, Vec<u8>) {
    (name.into(), value.as_bytes().to_vec())
}

#[test]
fn refusals_carry_code_and_reference() {
    assert_eq!(
        refusal(Action::Reject, "R1"),
        Some(Response::ReplyCode(
            "550 5.7.1 Message refused (ref=R1)".into()
        ))
    );
    assert!(refusal(Action::Tempfail, "R").is_some());
    assert_eq!(refusal(Action::Quarantine, "R"), None);
}

#[test]
fn spam_gets_moats_headers_on_top_and_loses_forged_ones() {
    let t = Thresholds::default();
    let headers = [
        h("X-Spam-Flag", " NO"),
        h("Authentication-Results", " mx.example.test; dkim=pass"),
        h("Authentication-Results", " other.example; dkim=pass"),
        h("x-spam-flag", " NO"),
    ];
    let edits = header_edits(
        &judged(5.0, &t),
        &headers,
        "mx.example.test",
        "[SPAM]",
        true,
    );
    let del = |name: &str, index| Response::ChangeHeader {
        index,
        name: name.into(),
        value: String::new(),
    };
    assert_eq!(
        edits[..3],
        [
            del("x-spam-flag", 2),
            del("Authentication-Results", 1),
            del("X-Spam-Flag", 1)
        ]
    );
    let inserted: Vec<_> = edits[3..]
        .iter()
        .map(|r| match r {
            Response::InsertHeader {
                index: 0,
                name,
                value,
            } => (name.as_str(), value.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        inserted.last().unwrap(),
        &("Authentication-Results", " mx.example.test; spf=pass")
    );
    assert!(inserted.contains(&("X-Spam-Flag", " YES")));
}

#[test]
fn rewrite_subject_tags_the_first_subject() {
    let t = Thresholds {
        rewrite_subject: Some(3.0),
        ..Thresholds::default()
    };
    let edits = header_edits(
        &judged(3.5, &t),
        &[h("Subject", "hi")],
        "mx",
        "[SPAM]",
        false,
    );
    assert!(edits.contains(&Response::ChangeHeader {
        index: 1,
        name: "Subject".into(),
        value: "[SPAM] hi".into()
    }));
}
