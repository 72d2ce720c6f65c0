use super::*;
use crate::checks::Finding;

fn verdict(action: Action, score: f64) -> Verdict {
    let f = |id: &str| Finding {
        id: id.into(),
        score: 1.0,
        reason: String::new(),
        force: None,
    };
    Verdict {
        action,
        score,
        required: 5.0,
        findings: vec![f("SUBJ_FREE"), f("CLICK_HERE")],
    }
}

#[test]
fn spam_headers_follow_the_spamassassin_convention() {
    let h = headers(&verdict(Action::AddHeader, 6.25));
    assert_eq!(
        h,
        "X-Spam-Flag: YES\r\nX-Spam-Score: 6.2\r\nX-Spam-Level: ******\r\nX-Spam-Status: Yes, score=6.2 required=5.0 tests=CLICK_HERE,SUBJ_FREE\r\n"
    );
    let h = headers(&Verdict {
        action: Action::Accept,
        score: 0.0,
        required: 5.0,
        findings: vec![],
    });
    assert!(
        h.contains("X-Spam-Flag: NO\r\n") && h.contains("tests=none"),
        "{h}"
    );
}

/// One `*` per whole point, none below one point, and never more than `MAX_LEVEL`.
#[test]
fn spam_level_has_one_star_per_point_bounded() {
    let level = |score| {
        let h = headers(&verdict(Action::Accept, score));
        let line = h.lines().find(|l| l.starts_with("X-Spam-Level:")).unwrap();
        line["X-Spam-Level: ".len()..].to_string()
    };
    assert_eq!(level(-3.0), "");
    assert_eq!(level(0.9), "");
    assert_eq!(level(4.99), "****");
    assert_eq!(level(1e9), "*".repeat(MAX_LEVEL));
}

#[test]
fn forged_spam_headers_are_removed_and_subject_tagged() {
    let m = b"X-Spam-Flag: NO\r\nX-Spam-Status: No,\r\n tests=none\r\nSubject: hello\r\nFrom: a@b\r\n\r\nX-Spam-Flag: body stays\r\n";
    let out = edit_message(m, Action::RewriteSubject, "[SPAM]");
    assert_eq!(
        String::from_utf8(out.into_owned()).unwrap(),
        "Subject: [SPAM] hello\r\nFrom: a@b\r\n\r\nX-Spam-Flag: body stays\r\n"
    );
    let out = edit_message(b"From: a@b\r\n\r\nhi\r\n", Action::RewriteSubject, "[SPAM]");
    assert_eq!(&*out, b"From: a@b\r\nSubject: [SPAM]\r\n\r\nhi\r\n");
    let out = edit_message(b"Subject: x\r\n\r\nhi\r\n", Action::AddHeader, "[SPAM]");
    assert_eq!(&*out, b"Subject: x\r\n\r\nhi\r\n");
    assert!(matches!(out, Cow::Borrowed(_)), "nothing to edit: no copy");
    let m = b"x-spam-score: 9\r\nSubject: x\r\n\r\nhi\r\n";
    let out = edit_message(m, Action::AddHeader, "");
    assert_eq!(&*out, b"Subject: x\r\n\r\nhi\r\n");
}

#[test]
fn every_forged_x_spam_header_is_removed_by_prefix_with_its_folded_lines() {
    let forged = [
        "X-Spam-Level: ****************\r\n",
        "X-Spam-Report: \r\n\t* -100 USER_IN_WELCOMELIST\r\n\t*  0.0 NONE\r\n",
        "X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-13) on\r\n mx.example.test\r\n",
        "x-spam-flag: NO\r\n",
        "X-SPAM-Status: No, score=-100.0 required=5.0\r\n\ttests=USER_IN_WELCOMELIST\r\n",
        "X-Spam-Level : ***\r\n",
    ];
    for action in [Action::Accept, Action::AddHeader, Action::RewriteSubject] {
        for field in forged {
            let m = format!("From: a@b\r\n{field}Subject: hi\r\n\r\nX-Spam-Level: body\r\n");
            let out = edit_message(m.as_bytes(), action, "[SPAM]");
            let out = String::from_utf8(out.into_owned()).unwrap();
            let (head, body) = out.split_once("\r\n\r\n").unwrap();
            assert!(
                !head.to_ascii_lowercase().contains("x-spam-"),
                "{action:?}: {out}"
            );
            assert!(
                !head.contains('*') && !head.contains("mx.example"),
                "folded lines: {out}"
            );
            assert!(head.starts_with("From: a@b\r\nSubject: "), "{out}");
            assert_eq!(body, "X-Spam-Level: body\r\n", "the body is untouched");
        }
    }
    // Names that only look alike are not Moat's.
    let m = b"X-Spammer: kept\r\nX-Spam: kept\r\n\r\nhi\r\n";
    assert!(matches!(
        edit_message(m, Action::Accept, ""),
        Cow::Borrowed(_)
    ));
}

#[test]
fn released_message_says_so_and_carries_no_spam_flag() {
    let held = b"Received: from x\r\nX-Spam-Flag: YES\r\nX-Spam-Score: 12.0\r\nX-Spam-Level: ************\r\nX-Spam-Status: Yes, score=12.0\r\n required=5.0 tests=TEST_HOLD\r\nX-Moat-Released: forged\r\n\tcontinued\r\nSubject: hi\r\n\r\nX-Spam-Flag: YES in the body stays\r\n";
    let out = released(
        held,
        &Released {
            time: 1_764_822_600,
            held_score: 12.0,
            held_tests: "TEST_HOLD,\r\nX-Spam-Flag: YES",
        },
    );
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("X-Moat-Released: 2025-12-04T04:30:00Z by operator\r\n"),
        "{head}"
    );
    assert!(head.contains("X-Spam-Flag: NO\r\n"), "{head}");
    assert!(head.contains("X-Spam-Level: \r\n"), "{head}");
    assert!(
        head.contains("held with score=12.0 tests=TEST_HOLD,X-Spam-FlagYES"),
        "{head}"
    );
    assert!(
        !head.contains("X-Spam-Flag: YES")
            && !head.contains("forged")
            && !head.contains("continued")
            && !head.contains("****"),
        "{head}"
    );
    assert!(head.contains("Received: from x\r\nSubject: hi"), "{head}");
    assert_eq!(body, "X-Spam-Flag: YES in the body stays\r\n");
}
