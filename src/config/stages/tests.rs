use super::*;

const BASE: &str = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n";

#[test]
fn table_holds_every_stage_and_follows_the_sections() {
    let yaml = format!(
        "{BASE}reputation:\n  dnsbl: [\"bl.test*2\", \"wl.test*-5\"]\n  threshold: 4\n  pregreet_action: reject\n\
             auth:\n  policy:\n    SPF_FAIL: {{action: reject}}\n"
    );
    let c = Config::from_yaml(&yaml, "t.yaml").unwrap();
    let t = &c.table;
    assert_eq!(t.refuse_at(Stage::Connect), Some(4.0));
    assert_eq!(t.get("DNSBL_BL_TEST").unwrap().score, 2.0);
    assert_eq!(t.get("DNSWL_WL_TEST").unwrap().stage, Stage::Connect);
    assert_eq!(t.get("PREGREET").unwrap().force, Some(Action::Reject));
    assert_eq!(t.stage_of("GREYLIST"), Stage::Rcpt);
    assert_eq!(t.stage_of("DENYLIST_HELO"), Stage::Helo);
    assert_eq!(t.get("RELAY_DENIED").unwrap().force, Some(Action::Reject));
    assert_eq!(t.stage_of("RATELIMIT_MESSAGES"), Stage::Mail);
    assert_eq!(t.get("SPF_FAIL").unwrap().force, Some(Action::Reject));
    assert_eq!(t.stage_of("RULE_ANYTHING"), Stage::Data);
    let c = Config::from_yaml(BASE, "t.yaml").unwrap();
    assert_eq!(c.table.get("PREGREET").unwrap().stage, Stage::Data);
    assert_eq!(c.table.get("PREGREET").unwrap().score, 3.0);
    assert_eq!(c.table.refuse_at(Stage::Connect), Some(3.0));
}

/// Malware findings are facts; `malware.types`, `on_virus`, `on_error` are table entries.
#[test]
fn malware_responses_are_table_entries() {
    let on = "malware:\n  enabled: true\n  on_error: accept\n  types:\n    macro: 2.5\n";
    let c = Config::from_yaml(&format!("{BASE}{on}"), "t.yaml").unwrap();
    let t = &c.table;
    let m = |id| t.get_for(MALWARE, id).unwrap();
    assert_eq!(m("ATTACH_EXECUTABLE").force, Some(Action::Reject));
    assert_eq!(m("ATTACH_MACRO").score, 2.5);
    assert_eq!(m("AV_VIRUS").force, Some(Action::Reject));
    assert!(
        t.get("ATTACH_EXECUTABLE").is_none(),
        "the rule of that name is another"
    );
    let failed = m("AV_SCAN_FAILED");
    assert_eq!((failed.force, failed.score), (None, 0.0));
    let c = Config::from_yaml(&format!("{BASE}malware:\n  enabled: true\n"), "t.yaml").unwrap();
    let failed = c.table.get_for(MALWARE, "AV_SCAN_FAILED").unwrap();
    assert_eq!(failed.force, Some(Action::Tempfail));
    let off = Config::from_yaml(BASE, "t.yaml").unwrap();
    assert!(off.table.get_for(MALWARE, "AV_VIRUS").is_none());
}
