use super::*;

#[test]
fn proxy_listen_must_be_a_configured_listener() {
    let listen = ["127.0.0.1:2525".parse().unwrap()];
    let mut problems = Vec::new();
    let raw = RawProxy {
        listen: vec!["127.0.0.1:2525".into(), "127.0.0.1:26".into(), "x".into()],
        ..Default::default()
    };
    let config = build(raw, &listen, &mut problems);
    assert_eq!(config.listen, listen);
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["proxy_protocol.listen[1]", "proxy_protocol.listen[2]"]
    );
}
