use super::*;

#[test]
fn console_hostile_html_is_inert() {
    let html = r#"<p style="position:fixed">Hi</p><script>alert(1)</script>
            <img src="http://remote.example/pixel.gif"><style>body{background:url(http://x.example/a)}</style>
            <a href="http://phish.example/login" onclick="steal()">click</a>
            <div style="background-image:url(http://x.example/b)">x</div>
            <iframe src="http://x.example/f"></iframe><form action="http://x.example/"><input></form>"#;
    let (clean, links) = sanitise(html);
    for bad in [
        "<script",
        "alert",
        "<img",
        "remote.example",
        "style",
        "url(",
        "onclick",
        "<iframe",
        "href",
        "<form",
        "x.example",
    ] {
        assert!(!clean.contains(bad), "{bad} left in {clean}");
    }
    assert!(clean.contains("click"));
    assert_eq!(links, vec!["http://phish.example/login".to_string()]);
}

#[test]
fn console_message_shows_text_and_lists_attachments() {
    let raw = b"From: a@x.example\r\nSubject: hello\r\n  folded\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody text\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=inv.pdf\r\n\r\nPDF\r\n--b--\r\n";
    let s = show(raw);
    assert!(s.text.unwrap().contains("body text"));
    assert!(
        s.headers
            .iter()
            .any(|(k, v)| k == "Subject" && v == "hello folded")
    );
    assert_eq!(s.attachments[0].0, "inv.pdf");
}
