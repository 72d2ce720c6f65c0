use super::*;
use facts::Envelope;

fn env() -> Envelope {
    Envelope {
        client_ip: "203.0.113.9".parse().unwrap(),
        helo: "mail.sender.test".into(),
        mail_from: "a@sender.test".into(),
        rcpt_to: vec!["u@example.test".into(), "v@example.test".into()],
    }
}

fn set(yaml: &str) -> Result<RuleSet, RuleErrors> {
    RuleSet::compile(vec![Source {
        origin: "t.yaml".into(),
        text: yaml.into(),
    }])
}

fn fired(set: &RuleSet, raw: &str) -> Vec<String> {
    let f = Facts::extract(raw.replace('\n', "\r\n").as_bytes(), &env(), 0);
    set.evaluate(&f).into_iter().map(|f| f.id).collect()
}

const RULES: &str = r#"
rules:
  - id: SUBJ_FREE
    description: free in subject
    target: subject
    regex: '\bfree\b'
    flags: i
    score: 1
  - id: BODY_MONEY
    description: money words
    target: body
    words: [wire transfer, million dollars]
    score: 2
  - id: NO_DATE
    description: no Date header
    target: header:Date
    exists: false
    score: 1
  - id: MANY_RCPT
    description: two or more recipients
    target: recipients
    above: 1
    score: 0.5
  - id: FROM_TESTNET
    description: client in TEST-NET-3
    target: client_ip
    cidr: [203.0.113.0/24]
    score: 0.1
  - id: COMBO
    description: free and money
    meta: SUBJ_FREE && (BODY_MONEY || !NO_DATE)
    score: 3
  - id: TWO
    description: two of three
    meta: 2 of [SUBJ_FREE, BODY_MONEY, NO_DATE]
    score: 1
"#;

#[test]
fn each_condition_kind_fires_on_its_target() {
    let s = set(RULES).unwrap();
    let got = fired(
        &s,
        "Subject: FREE stuff\n\nSend a Wire transfer of one MILLION dollars\n",
    );
    let want = [
        "SUBJ_FREE",
        "BODY_MONEY",
        "NO_DATE",
        "MANY_RCPT",
        "FROM_TESTNET",
        "COMBO",
        "TWO",
    ];
    assert_eq!(got, want);
}

#[test]
fn words_match_whole_words_only() {
    let s = set(
        "rules:\n  - id: W\n    description: w\n    target: body\n    words: [sex]\n    score: 1\n",
    )
    .unwrap();
    assert!(fired(&s, "Subject: x\n\nGreetings from Sussex\n").is_empty());
    assert_eq!(fired(&s, "Subject: x\n\nsex, now\n"), ["W"]);
}

#[test]
fn meta_without_its_parts_does_not_fire() {
    let s = set(RULES).unwrap();
    let got = fired(
        &s,
        "Subject: hello\nDate: Thu, 1 Jan 1970 00:00:00 +0000\n\nhi\n",
    );
    assert_eq!(got, ["MANY_RCPT", "FROM_TESTNET"]);
}

#[test]
fn broken_rules_are_reported_with_file_and_line() {
    let e = set("rules:\n  - id: A\n    description: a\n    target: body\n    regex: '(unclosed'\n    score: 1\n").unwrap_err();
    assert_eq!(e.0[0].line, Some(2));
    assert!(e.0[0].message.contains("regex"), "{}", e.0[0].message);
    let e = set("rules:\n  - id: M\n    description: m\n    meta: NOPE && M\n    score: 1\n")
        .unwrap_err();
    assert!(e.0[0].message.contains("unknown rule `NOPE`"), "{e}");
    let e = set("rules:\n  - id: A\n    description: a\n    meta: B\n    score: 1\n  - id: B\n    description: b\n    meta: A\n    score: 1\n").unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
    let e = set("rules:\n  - id: A\n    description: a\n    target: nowhere\n    exists: true\n    score: 1\n").unwrap_err();
    assert!(e.to_string().contains("unknown target"), "{e}");
}

#[test]
fn failing_example_names_file_and_line() {
    let yaml = "rules:\n  - id: A\n    description: a\n    target: subject\n    regex: win\n    score: 1\n    examples:\n      match:\n        - \"Subject: you win\\n\\n\"\n        - \"Subject: nothing here\\n\\n\"\n";
    let s = set(yaml).unwrap();
    let (count, failures) = examples::run(&s);
    assert_eq!(count, 2);
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].to_string(),
        "t.yaml:10: A: `match` example 2 does not fire the rule"
    );
}

#[test]
fn default_pack_examples_all_pass() {
    let s = RuleSet::compile(builtin::sources()).unwrap();
    let visible = s.rules().iter().filter(|r| !r.id.starts_with("__")).count();
    assert!(visible >= 80, "the default pack has {visible} rules");
    let (count, failures) = examples::run(&s);
    let list: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{}", list.join("\n"));
    assert!(count >= 160, "{count} examples");
    for r in s.rules().iter().filter(|r| !r.id.starts_with("__")) {
        assert!(!r.description.is_empty(), "{} has no description", r.id);
        assert!(
            !r.examples.matching.is_empty(),
            "{} has no match example",
            r.id
        );
    }
}
