use super::*;

fn yaml(extra: &str) -> String {
    format!(
        "hostname: mx.example.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [example.test]\n\
             backend:\n  protocol: maildir\n  path: /tmp/m\n{extra}"
    )
}

#[test]
fn doors_are_off_by_default() {
    let c = crate::config::Config::embedded_default();
    assert_eq!(c.scan_api.listen, None);
    assert_eq!(c.milter.listen, None);
}

#[test]
fn doors_listen_on_tcp_and_unix() {
    let c = crate::config::Config::from_yaml(
            &yaml("scan_api:\n  listen: 127.0.0.1:11333\n  password: s\nmilter:\n  listen: unix:/run/m.sock\n  quarantine: store\n"),
            "t.yaml",
        )
        .unwrap();
    assert_eq!(c.scan_api.listen, Some("127.0.0.1:11333".parse().unwrap()));
    assert_eq!(c.scan_api.password.as_deref(), Some("s"));
    assert_eq!(
        c.milter.listen,
        Some(MilterListen::Unix("/run/m.sock".into()))
    );
    assert_eq!(c.milter.quarantine, MilterQuarantine::Store);
}

#[test]
fn bad_door_keys_name_file_line_and_key() {
    let text = crate::config::Config::from_yaml(
        &yaml("milter:\n  listen: somewhere\n  quarantine: bin\nscan_api:\n  max_connections: 0\n"),
        "t.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(text.contains("t.yaml:8: milter.listen:"), "{text}");
    assert!(text.contains("t.yaml:9: milter.quarantine:"), "{text}");
    assert!(
        text.contains("t.yaml:11: scan_api.max_connections:"),
        "{text}"
    );
}
