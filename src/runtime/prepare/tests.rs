use super::*;

#[test]
fn max_memory_defaults_to_1gib_and_must_hold_one_largest_message() {
    let base = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\nlimits:\n";
    let c = Config::from_yaml(base, "t.yaml").unwrap();
    assert_eq!(c.limits.max_memory, 1 << 30);
    let small = format!("{base}  max_message_size: 10MiB\n  max_memory: 20MiB\n");
    let shown = Runtime::new(Config::from_yaml(&small, "t.yaml").unwrap())
        .err()
        .expect("refused")
        .to_string();
    assert!(shown.contains("t.yaml:9: limits.max_memory"), "{shown}");
    let fits = format!("{base}  max_message_size: 1MiB\n  max_memory: 64MiB\n");
    assert_eq!(
        Config::from_yaml(&fits, "t.yaml")
            .unwrap()
            .limits
            .max_memory,
        64 << 20
    );
}
