use crate::config::Config;

#[test]
fn bayes_in_redis_needs_the_redis_state_backend() {
    let base = "hostname: mx.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\n\
                    backend:\n  protocol: maildir\n  path: /tmp/m\n";
    let yaml = format!("{base}bayes:\n  storage: redis\n");
    let e = Config::from_yaml(&yaml, "t.yaml").unwrap_err().to_string();
    assert!(e.contains("t.yaml:8: bayes.storage: `redis` needs"), "{e}");
    let ok = format!("{base}state:\n  backend: redis\nbayes:\n  storage: redis\n");
    if let Err(e) = Config::from_yaml(&ok, "t.yaml") {
        panic!("{e}");
    }
}
