use super::*;

#[test]
fn single_line_with_enhanced_code() {
    let r = Reply::status(250, 0, 0, "OK");
    assert_eq!(r.to_bytes(), b"250 2.0.0 OK\r\n");
}

#[test]
fn multiline_uses_dash_until_last() {
    let r = Reply::multiline(250, None, vec!["mx.test".into(), "PIPELINING".into()]);
    assert_eq!(r.to_bytes(), b"250-mx.test\r\n250 PIPELINING\r\n");
}

#[test]
fn reply_text_cannot_inject_lines() {
    let r = Reply::new(550, None, "no\r\n250 ok");
    assert_eq!(r.to_bytes(), b"550 no  250 ok\r\n");
}
