use super::*;
use crate::admin::http::parse;

fn post(headers: &str) -> Request {
    parse(format!("POST /reload HTTP/1.1\r\nHost: 127.0.0.1:9925\r\n{headers}\r\n").as_bytes())
        .unwrap()
}

#[test]
fn admin_reload_needs_the_custom_header() {
    assert_eq!(reload_refusal(&post("X-Moat-Reload: 1\r\n")), None);
    assert_eq!(reload_refusal(&post("x-moat-reload: yes\r\n")), None);
    assert!(reload_refusal(&post("")).is_some());
    assert!(reload_refusal(&post("X-Moat-Reload:\r\n")).is_some());
    // What an HTML form sends: a simple request, no custom header.
    let form = "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n";
    assert!(reload_refusal(&post(form)).is_some());
}

#[test]
fn admin_reload_from_a_browser_is_refused_even_with_the_header() {
    for marker in [
        "Origin: http://127.0.0.1:9925\r\n",
        "Origin: null\r\n",
        "Sec-Fetch-Site: same-origin\r\n",
    ] {
        let r = post(&format!("X-Moat-Reload: 1\r\n{marker}"));
        assert!(reload_refusal(&r).is_some(), "{marker}");
    }
}
