use super::*;

#[test]
fn embedded_default_is_valid() {
    let c = Config::from_yaml(DEFAULT_YAML, DEFAULT_ORIGIN).unwrap();
    assert_eq!(c.listen, vec!["127.0.0.1:2525".parse().unwrap()]);
    assert!(c.domains.contains("EXAMPLE.test"));
    assert!(matches!(c.backend.target, BackendTarget::Maildir { .. }));
    assert_eq!(c.limits.max_message_size, 25 * 1024 * 1024);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\nlimits:\n  max_recipents: 5\n";
    let e = Config::from_yaml(text, "t.yaml").unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("t.yaml:8:"), "{shown}");
    assert!(shown.contains("max_recipents"), "{shown}");
}

#[test]
fn bad_values_are_all_reported_with_lines() {
    let text = "hostname: mx.test\nlisten:\n  - nonsense\ndomains: [a.test, \"bad domain\"]\nbackend:\n  protocol: smtp\n";
    let e = Config::from_yaml(text, "t.yaml").unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("t.yaml:3: listen[0]"), "{shown}");
    assert!(shown.contains("domains[1]"), "{shown}");
    assert!(
        shown.contains("t.yaml:5: backend.address: is required"),
        "{shown}"
    );
    assert_eq!(e.0.len(), 3, "{shown}");
}

#[test]
fn bad_duration_names_its_key() {
    let text = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\nlimits:\n  timeouts:\n    command: soon\n";
    let e = Config::from_yaml(text, "t.yaml").unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("t.yaml:9: limits.timeouts.command"),
        "{shown}"
    );
}

#[test]
fn flood_limits_are_on_by_default_and_validated_with_lines() {
    let base = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\n";
    let l = Config::from_yaml(base, "t.yaml").unwrap().limits;
    assert_eq!(l.max_connections_per_network, 100);
    assert_eq!((l.network.v4, l.network.v6), (24, 64));
    assert_eq!(l.shed_at_percent, 90);
    assert_eq!(l.timeouts.command_line, Duration::from_secs(10));
    let bad = format!(
        "{base}limits:\n  max_connections_per_network: 0\n  ipv4_prefix: 33\n  ipv6_prefix: 129\n  shed_at_percent: 101\n  timeouts:\n    command_line: 0s\n"
    );
    let e = Config::from_yaml(&bad, "t.yaml").unwrap_err();
    let shown = e.to_string();
    for expected in [
        "t.yaml:8: limits.max_connections_per_network: must be greater than 0",
        "t.yaml:9: limits.ipv4_prefix: must be 0..=32",
        "t.yaml:10: limits.ipv6_prefix: must be 0..=128",
        "t.yaml:11: limits.shed_at_percent: must be 0..=100",
        "t.yaml:13: limits.timeouts.command_line: must be greater than 0",
    ] {
        assert!(shown.contains(expected), "{expected} in {shown}");
    }
    assert_eq!(e.0.len(), 5, "{shown}");
}

#[test]
fn backend_pipelining_and_chunking_default_on_and_can_be_switched_off() {
    let base = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: lmtp\n  address: 127.0.0.1:24\n";
    let c = Config::from_yaml(base, "t.yaml").unwrap();
    assert!(c.backend.pipelining && c.backend.chunking);
    let off = format!("{base}  pipelining: false\n  chunking: false\n");
    let c = Config::from_yaml(&off, "t.yaml").unwrap();
    assert!(!c.backend.pipelining && !c.backend.chunking);
}
