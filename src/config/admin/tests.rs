use super::*;

#[test]
fn admin_listen_empty_disables_and_bad_address_is_an_error() {
    assert_eq!(build(RawAdmin::default()).unwrap().listen, None);
    let ok = build(RawAdmin {
        listen: "127.0.0.1:9925".into(),
    });
    assert_eq!(ok.unwrap().listen, Some("127.0.0.1:9925".parse().unwrap()));
    assert!(
        build(RawAdmin {
            listen: "localhost".into()
        })
        .is_err()
    );
}

#[test]
fn embedded_default_enables_admin_on_loopback() {
    let c = crate::config::Config::embedded_default();
    assert!(c.admin.listen.expect("admin enabled").ip().is_loopback());
}

#[test]
fn bad_admin_listen_names_file_line_and_key() {
    let yaml = "hostname: mx.example.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [example.test]\n\
                    backend:\n  protocol: maildir\n  path: /tmp/m\nadmin:\n  listen: nowhere\n";
    let errors = crate::config::Config::from_yaml(yaml, "t.yaml").unwrap_err();
    let text = errors.to_string();
    assert!(text.contains("t.yaml:8: admin.listen:"), "{text}");
}
