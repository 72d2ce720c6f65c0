use super::*;

#[test]
fn health_probe_asks_loopback_for_an_unspecified_listener() {
    let t = |s: &str| target(s.parse().unwrap()).to_string();
    assert_eq!(t("0.0.0.0:9925"), "127.0.0.1:9925");
    assert_eq!(t("[::]:9925"), "[::1]:9925");
    assert_eq!(t("10.1.2.3:9925"), "10.1.2.3:9925");
}

#[test]
fn health_probe_reads_status_and_first_body_line() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nready\n";
    assert_eq!(parse_answer(ok), Some((200, "ready".into())));
    let down = b"HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready: backend refused\n";
    assert_eq!(
        parse_answer(down),
        Some((503, "not ready: backend refused".into()))
    );
    assert_eq!(parse_answer(b"220 mx ESMTP\r\n"), None);
    assert_eq!(parse_answer(b""), None);
}

#[test]
fn health_probe_without_admin_listener_says_so() {
    let e = readyz(None, TIMEOUT).unwrap_err();
    assert!(e.to_string().contains("admin.listen"), "{e}");
}
