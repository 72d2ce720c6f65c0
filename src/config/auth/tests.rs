use crate::config::Config;
use crate::config::action::Action;

const BASE: &str = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n";

#[test]
fn auth_config_defaults_and_overrides() {
    let c = Config::from_yaml(BASE, "t.yaml").unwrap();
    assert!(
        !c.auth.enabled,
        "off unless configured: it needs a resolver"
    );
    assert_eq!(c.dns.deadline(), std::time::Duration::from_secs(4));
    let text = format!(
        "{BASE}dns:\n  nameservers: [\"127.0.0.1:5353\"]\n  timeout: 1s\n  attempts: 3\nauth:\n  enabled: true\n  trusted_arc_sealers: [Lists.Example.ORG]\n  policy:\n    SPF_FAIL: {{action: reject}}\n    DMARC_REJECT: {{action: none, score: 4}}\n"
    );
    let c = Config::from_yaml(&text, "t.yaml").unwrap();
    assert_eq!(c.dns.nameservers, vec!["127.0.0.1:5353".parse().unwrap()]);
    assert_eq!(c.dns.deadline(), std::time::Duration::from_secs(3));
    assert_eq!(c.auth.trusted_arc_sealers, vec!["lists.example.org"]);
    assert_eq!(c.auth.policy["SPF_FAIL"].force, Some(Action::Reject));
    assert_eq!(c.auth.policy["SPF_FAIL"].score, 3.0, "score kept");
    assert_eq!(c.auth.policy["DMARC_REJECT"].force, None);
    assert_eq!(c.auth.policy["DMARC_REJECT"].score, 4.0);
    assert_eq!(c.auth.dmarc_org_domain, super::OrgDomain::Psl, "default");
    let text = format!("{BASE}auth:\n  dmarc:\n    org_domain: tree_walk\n");
    let c = Config::from_yaml(&text, "t.yaml").unwrap();
    assert_eq!(c.auth.dmarc_org_domain, super::OrgDomain::TreeWalk);
}

#[test]
fn auth_dmarc_org_domain_unknown_value_names_line_and_key() {
    let text = format!("{BASE}auth:\n  dmarc:\n    org_domain: walk\n");
    let shown = Config::from_yaml(&text, "t.yaml").unwrap_err().to_string();
    assert!(
        shown.contains("t.yaml:9: auth.dmarc.org_domain: unknown variant `walk`"),
        "{shown}"
    );
}

#[test]
fn auth_config_errors_name_line_and_key() {
    let text = format!(
        "{BASE}dns:\n  nameservers: [\"localhost\"]\n  attempts: 0\nauth:\n  trusted_arc_sealers: [\"bad domain\"]\n  policy:\n    SPF_FAILED: {{score: 1}}\n"
    );
    let e = Config::from_yaml(&text, "t.yaml").unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("t.yaml:8: dns.nameservers[0]"), "{shown}");
    assert!(shown.contains("t.yaml:9: dns.attempts"), "{shown}");
    assert!(
        shown.contains("t.yaml:11: auth.trusted_arc_sealers[0]"),
        "{shown}"
    );
    assert!(
        shown.contains("t.yaml:13: auth.policy.SPF_FAILED"),
        "{shown}"
    );
    assert_eq!(e.0.len(), 4, "{shown}");
}

#[test]
fn auth_config_unknown_key_is_an_error() {
    let text = format!("{BASE}auth:\n  enable: true\n");
    let shown = Config::from_yaml(&text, "t.yaml").unwrap_err().to_string();
    assert!(
        shown.contains("t.yaml:8:") && shown.contains("enable"),
        "{shown}"
    );
    let text = format!("{BASE}auth:\n  policy:\n    SPF_FAIL: {{action: quarantine}}\n");
    let shown = Config::from_yaml(&text, "t.yaml").unwrap_err().to_string();
    assert!(shown.contains("quarantine"), "{shown}");
}
