//! Canonicalisation (RFC 6376 3.4), `l=` (3.5, 8.2) and `h=` over-signing (5.4.2, 8.15):
//! dkimpy signs, the message is changed after signing in ways one canonicalisation must
//! absorb and the other must not.

use crate::harness::{World, tools_present};
use crate::kit::*;
use crate::signer;

const CANONS: [&str; 4] = [
    "simple/simple",
    "simple/relaxed",
    "relaxed/simple",
    "relaxed/relaxed",
];

/// A folded header with runs of white space and a body with trailing white space, internal
/// runs and trailing empty lines: what the two canonicalisations treat differently.
const FOLDED: &str = "X-Folded:  one \t two\r\n\t  three  \r\n";
const BODY: &str =
    "Line with trailing space   \r\nTabs\tand  runs   of  spaces\r\n\r\nEnd\r\n\r\n\r\n";

/// A change after signing: (name, what it does to the signed message, header canon and
/// body canon that must still pass).
type Change = (&'static str, fn(&[u8]) -> Vec<u8>, bool, bool);

fn changes() -> Vec<Change> {
    vec![
        ("unchanged", |m| m.to_vec(), true, true),
        // RFC 6376 3.4.3: simple ignores only trailing empty lines; 3.4.4: relaxed too.
        (
            "more-empty-lines",
            |m| [m, b"\r\n\r\n"].concat(),
            true,
            true,
        ),
        // 3.4.4: relaxed drops trailing WSP and reduces runs; simple keeps every byte.
        (
            "body-whitespace",
            |m| {
                replace(
                    &replace(m, "space   \r\n", "space \t\r\n"),
                    "and  runs",
                    "and runs",
                )
            },
            true,
            false,
        ),
        // 3.4.2: relaxed lower-cases names, unfolds, reduces runs, drops WSP after `:`.
        (
            "header-whitespace",
            |m| replace(m, FOLDED, "x-folded:one two three\r\n"),
            false,
            true,
        ),
    ]
}

#[test]
fn conformance_dkim_canonicalization_simple_and_relaxed() {
    let test = "conformance_dkim_canonicalization_simple_and_relaxed";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let key = &signer::key().private_pem;
    let h = "h=from:to:subject:date:message-id:x-folded";
    let mut jobs = Vec::new();
    let mut planned = Vec::new();
    for canon in CANONS {
        let (header_relaxed, body_relaxed) =
            (canon.starts_with("relaxed"), canon.ends_with("relaxed"));
        for body in [BODY, ""] {
            for (change, apply, header_ok, body_ok) in changes() {
                if body.is_empty() && change == "body-whitespace" {
                    continue;
                }
                let subject = format!("canon-{}-{}-{change}", canon.replace('/', "-"), body.len());
                jobs.push(Job {
                    key,
                    selector: "s1",
                    canon,
                    options: std::slice::from_ref(&h),
                    message: message(&subject, FOLDED, body),
                });
                let body_passes = body_ok || body_relaxed;
                let want = match (header_ok || header_relaxed, body_passes) {
                    (true, true) => "dkim=pass",
                    (_, false) => "dkim=fail (Calculated body hash",
                    (false, true) => "dkim=fail",
                };
                planned.push((subject, apply, want));
            }
        }
    }
    let signed = sign_all(&jobs);
    let cases: Vec<Case> = planned
        .into_iter()
        .zip(signed)
        .map(|((subject, apply, want), message)| Case {
            subject,
            message: apply(&message),
            want: want.into(),
        })
        .collect();
    let n = cases.len();
    assert_all(run(&world, &cases), n);
}

/// RFC 6376 3.5 `l=`: the signature covers only the first `l` octets of the canonical
/// body. What follows is unsigned: an attacker can append anything (8.2), so such a
/// signature is reported as `policy` (RFC 8601 2.7.1: signed, but not acceptable) and
/// never counts for DMARC; one that covers the whole body is a pass.
#[test]
fn conformance_dkim_body_length_l_tag() {
    let test = "conformance_dkim_body_length_l_tag";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let key = &signer::key().private_pem;
    let plan: [(&str, &str, bool, &str); 4] = [
        ("l-relaxed-whole", "relaxed/relaxed", false, "dkim=pass"),
        ("l-simple-whole", "simple/simple", false, "dkim=pass"),
        (
            "l-relaxed-appended",
            "relaxed/relaxed",
            true,
            "dkim=policy (l=",
        ),
        (
            "l-simple-appended",
            "simple/simple",
            true,
            "dkim=policy (l=",
        ),
    ];
    let jobs: Vec<Job> = plan
        .iter()
        .map(|(subject, canon, _, _)| Job {
            key,
            selector: "s1",
            canon,
            options: &["l"],
            message: message(subject, "", "Hello Alice,\r\nthis is signed.\r\n"),
        })
        .collect();
    let cases: Vec<Case> = plan
        .iter()
        .zip(sign_all(&jobs))
        .map(|((subject, _, append, want), m)| Case {
            subject: subject.to_string(),
            message: if *append {
                [&m[..], b"Unsigned: click http://evil.test/\r\n"].concat()
            } else {
                m
            },
            want: want.to_string(),
        })
        .collect();
    let mut wrong = run(&world, &cases);
    // The envelope is the forwarder's: only the signature could align, and a signature
    // that leaves content unsigned must not.
    let messages: Vec<Vec<u8>> = cases.iter().map(|c| c.message.clone()).collect();
    for ((case, findings), (_, _, appended, _)) in
        cases.iter().zip(world.findings_all(&messages)).zip(&plan)
    {
        let (id, _) = crate::harness::finding(&findings, "DMARC_");
        let want = if *appended {
            "DMARC_FAIL"
        } else {
            "DMARC_PASS"
        };
        if id != want {
            wrong.push(format!("{}: {id}, want {want}", case.subject));
        }
    }
    assert_all(wrong, cases.len());
}

/// RFC 6376 5.4.2 / 8.15: a field named in `h=` more often than it occurs signs its absence,
/// so an added field of that name breaks the signature; without over-signing, a field added
/// above the signed one is ignored (the bottom-most instance is the signed one).
#[test]
fn conformance_dkim_h_over_signing() {
    let test = "conformance_dkim_h_over_signing";
    if !tools_present(test) {
        return;
    }
    // A second From makes DMARC refuse the message (RFC 7489 6.6.1); here only DKIM counts.
    let world = World::start("  policy:\n    DMARC_BAD_FROM: {action: none, score: 0}\n");
    let key = &signer::key().private_pem;
    let over = "h=from:from:to:subject:subject:date:message-id";
    let once = "h=from:to:subject:date:message-id";
    let plan: [(&str, &str, &str, &str); 5] = [
        ("over-unchanged", over, "", "dkim=pass"),
        (
            "over-added-subject",
            over,
            "Subject: Pay now\r\n",
            "dkim=fail",
        ),
        (
            "over-added-from",
            over,
            "From: Boss <boss@nopolicy.test>\r\n",
            "dkim=fail",
        ),
        ("once-unchanged", once, "", "dkim=pass"),
        (
            "once-added-subject",
            once,
            "Subject: Pay now\r\n",
            "dkim=pass",
        ),
    ];
    let jobs: Vec<Job> = plan
        .iter()
        .map(|(subject, h, _, _)| Job {
            key,
            selector: "s1",
            canon: "relaxed/relaxed",
            options: std::slice::from_ref(h),
            message: message(subject, "", "Hello Alice,\r\n"),
        })
        .collect();
    let cases: Vec<Case> = plan
        .iter()
        .zip(sign_all(&jobs))
        .map(|((subject, _, added, want), m)| Case {
            subject: subject.to_string(),
            message: [added.as_bytes(), &m[..]].concat(),
            want: want.to_string(),
        })
        .collect();
    assert_all(run(&world, &cases), cases.len());
}
