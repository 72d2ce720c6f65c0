use super::*;

#[test]
fn redis_url_forms() {
    let u = parse_url("redis://127.0.0.1:6380/2").unwrap();
    assert_eq!((u.address.as_str(), u.db), ("127.0.0.1:6380", 2));
    assert_eq!(u.password, None);
    let u = parse_url("redis://:secret@cache").unwrap();
    assert_eq!(u.address, "cache:6379");
    assert_eq!((u.user, u.password.as_deref()), (None, Some("secret")));
    let u = parse_url("redis://moat:pw@[::1]:7000/").unwrap();
    assert_eq!(u.address, "[::1]:7000");
    assert_eq!((u.host.as_str(), u.port, u.tls), ("::1", 7000, false));
    assert_eq!(u.user.as_deref(), Some("moat"));
    let u = parse_url("rediss://cache.example:6380").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.tls),
        ("cache.example", 6380, true)
    );
    assert!(parse_url("http://x").is_err());
    assert!(parse_url("redis://h:99999").is_err());
    assert!(parse_url("redis:///1").is_err());
    assert!(parse_url("redis://h/x").is_err());
}

#[test]
fn state_ca_needs_a_tls_url_and_a_readable_pem_file() {
    let raw = |url: &str, ca: &str| RawState {
        url: url.into(),
        ca: Some(ca.into()),
        ..RawState::default()
    };
    let mut problems = Vec::new();
    build(
        "/etc/moat/moat.yaml",
        raw("rediss://h", "ca.pem"),
        &mut problems,
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "state.ca");
    assert!(
        problems[0].1.starts_with("/etc/moat/ca.pem: cannot read"),
        "{problems:?}"
    );
    problems.clear();
    build("t.yaml", raw("redis://h", "/etc/hostname"), &mut problems);
    assert_eq!(problems[0].1, "only applies to a TLS URL (`rediss://`)");
    problems.clear();
    build("t.yaml", raw("rediss://h", "/etc/hostname"), &mut problems);
    assert!(
        problems[0].1.ends_with("no PEM certificate found"),
        "{problems:?}"
    );
}

#[test]
fn state_defaults_are_valid() {
    let mut problems = Vec::new();
    let c = build("t.yaml", RawState::default(), &mut problems);
    assert!(problems.is_empty());
    assert_eq!(c.backend, Backend::Memory);
    assert_eq!(c.timeout, Duration::from_millis(250));
}
