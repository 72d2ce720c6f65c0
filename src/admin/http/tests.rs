use super::*;

#[test]
fn request_line_is_parsed_and_query_dropped() {
    let head = b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(head_len(head), Some(head.len()));
    let r = parse(head).unwrap();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/metrics"));
}

#[test]
fn malformed_request_lines_are_refused() {
    assert!(parse(b"GET /metrics\r\n\r\n").is_err());
    assert!(parse(b"GET / HTTP/2\r\n\r\n").is_err());
    assert!(parse(b"GET  / HTTP/1.1\r\n\r\n").is_err());
    assert!(parse(b"\r\n\r\n").is_err());
    assert!(parse(b"G(T / HTTP/1.1\r\n\r\n").is_err());
    assert!(parse(b"GET x HTTP/1.1\r\n\r\n").is_err());
    assert_eq!(head_len(b"GET / HTTP/1.1\r\n"), None);
}

#[test]
fn admin_header_fields_are_parsed_with_lowercase_names() {
    let head =
        b"POST /reload HTTP/1.1\r\nHost: a:1\r\nX-Moat-Reload:  1 \r\nContent-Length: 0\r\n\r\n";
    let r = parse(head).unwrap();
    assert_eq!(r.header("host"), Some("a:1"));
    assert_eq!(r.header("x-moat-reload"), Some("1"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("origin"), None);
}

#[test]
fn admin_malformed_header_fields_are_refused() {
    let bad: [&[u8]; 6] = [
        b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
        b"GET / HTTP/1.1\r\n: a\r\n\r\n",
    ];
    for head in bad {
        assert!(parse(head).is_err(), "{}", String::from_utf8_lossy(head));
    }
    let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
    let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
    assert_eq!(parse(head.as_bytes()), Err("too many header fields"));
}

#[test]
fn response_closes_the_connection_and_counts_bytes() {
    let bytes = Response::text(200, "ok\n").to_bytes();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(text.contains("Content-Length: 3\r\n"));
    assert!(text.contains("Connection: close\r\n"));
    assert!(text.ends_with("\r\n\r\nok\n"));
}
