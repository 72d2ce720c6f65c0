use super::*;

#[test]
fn console_csrf_token_must_match_its_session() {
    let sessions = Sessions::new(Duration::from_secs(60));
    let now = Instant::now();
    let a = sessions.create("root".into(), Role::Admin, now);
    let b = sessions.create("bob@example.test".into(), Role::Recipient, now);
    let (sa, sb) = (
        sessions.get(&a, now).unwrap(),
        sessions.get(&b, now).unwrap(),
    );
    assert!(sa.csrf_ok(&sa.csrf));
    assert!(!sa.csrf_ok(&sb.csrf), "another session's token");
    assert!(!sa.csrf_ok(""), "no token");
    assert_ne!(a, b);
}

#[test]
fn console_session_expires_when_idle() {
    let sessions = Sessions::new(Duration::from_secs(60));
    let now = Instant::now();
    let id = sessions.create("root".into(), Role::Admin, now);
    assert!(sessions.get(&id, now + Duration::from_secs(59)).is_some());
    assert!(
        sessions
            .get(&id, now + Duration::from_secs(59 + 61))
            .is_none()
    );
}

#[test]
fn console_cookie_is_secure_httponly_strict() {
    let c = set_cookie(&"a".repeat(64), Duration::from_secs(10));
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(c.contains(attr), "{c}");
    }
    let header = format!("x=1; {COOKIE}={}", "a".repeat(64));
    assert_eq!(cookie_id(&header), Some("a".repeat(64).as_str()));
    assert_eq!(cookie_id(&format!("{COOKIE}=short")), None);
}

#[test]
fn console_login_limit_locks_after_failures() {
    let limit = LoginLimit::new(3, Duration::from_secs(60));
    let now = Instant::now();
    let keys = vec!["ip:192.0.2.1".to_string(), "name:root".to_string()];
    for _ in 0..3 {
        assert!(!limit.locked(&keys, now));
        limit.failed(&keys, now);
    }
    assert!(limit.locked(&keys, now));
    assert!(
        limit.locked(&["name:root".to_string()], now),
        "per account too"
    );
    assert!(
        !limit.locked(&keys, now + Duration::from_secs(61)),
        "window over"
    );
}
