//! A tiny HTTP/1.0 client for the admin listener, and reading metric samples.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One HTTP/1.0 request (so that no server answers with chunked encoding); returns the
/// status code and the body.
pub fn http(addr: SocketAddr, method: &str, target: &str) -> (u16, String) {
    http_with(addr, method, target, &[], "")
}

/// `http` with extra header lines (`Name: value`, no CRLF) and a body.
pub fn http_with(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[&str],
    body: &str,
) -> (u16, String) {
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let head = format!(
        "{method} {target} HTTP/1.0\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    raw_http(addr, &(head + body))
}

/// Sends `request` as is; returns the status code and the body of the answer.
pub fn raw_http(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// `POST /reload` as an operator sends it (`curl -X POST -H 'X-Moat-Reload: 1'`).
pub fn post_reload(addr: SocketAddr) -> (u16, String) {
    http_with(addr, "POST", "/reload", &["X-Moat-Reload: 1"], "")
}

/// Value of the sample `name{labels}` (labels exactly as Prometheus writes them) or 0.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// The value of one sample of a running Moat's `/metrics`, 0 when absent.
pub fn metric(admin: SocketAddr, series: &str) -> f64 {
    sample(&http(admin, "GET", "/metrics").1, series)
}
