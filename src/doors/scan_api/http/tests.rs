use super::*;

const RSPAMC: &[u8] = b"POST /checkv2 HTTP/1.0\r\nContent-Length: 34\r\nConnection: close\r\n\
        Ip: 1.2.3.4\r\nHelo: h.example\r\nFrom: s@x.y\r\nRcpt: r@x.y\r\nRcpt: q@x.y\r\n\r\n";

#[test]
fn rspamc_head_is_parsed_with_every_rcpt() {
    assert_eq!(head_len(RSPAMC), Some(RSPAMC.len()));
    let h = parse_head(RSPAMC).unwrap();
    assert_eq!((h.method.as_str(), h.path.as_str()), ("POST", "/checkv2"));
    assert_eq!(h.header("ip"), Some("1.2.3.4"));
    assert_eq!(h.all("rcpt").collect::<Vec<_>>(), ["r@x.y", "q@x.y"]);
    assert_eq!(h.content_length(), Ok(Some(34)));
}

#[test]
fn ambiguous_bodies_are_refused() {
    let h = |extra: &str| parse_head(format!("POST / HTTP/1.1\r\n{extra}\r\n").as_bytes()).unwrap();
    assert!(
        h("Content-Length: 3\r\nContent-Length: 4\r\n")
            .content_length()
            .is_err()
    );
    assert!(h("Content-Length: +3\r\n").content_length().is_err());
    assert!(
        h("Transfer-Encoding: chunked\r\n")
            .content_length()
            .is_err()
    );
    assert_eq!(h("").content_length(), Ok(None));
}

#[test]
fn malformed_heads_are_refused() {
    for bad in [
        &b"POST /checkv2\r\n\r\n"[..],
        b"POST checkv2 HTTP/1.1\r\n\r\n",
        b"POST / HTTP/2\r\n\r\n",
        b"POST / HTTP/1.1\r\nIp 1\r\n\r\n",
        b"POST / HTTP/1.1\r\nIp: 1\r\n folded\r\n\r\n",
        b"POST / HTTP/1.1\r\nIp: 1\rx\r\n\r\n",
    ] {
        assert!(parse_head(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let many: String = (0..=MAX_HEADERS)
        .map(|i| format!("Rcpt: {i}@x\r\n"))
        .collect();
    assert_eq!(
        parse_head(format!("POST / HTTP/1.1\r\n{many}\r\n").as_bytes()),
        Err("too many header fields")
    );
}

#[test]
fn response_has_length_and_closes() {
    let r = String::from_utf8(response(200, "text/plain", b"pong\r\n")).unwrap();
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(r.contains("Content-Length: 6\r\nConnection: close\r\n\r\npong\r\n"));
}
