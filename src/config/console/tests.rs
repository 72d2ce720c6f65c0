use super::*;

#[test]
fn console_imap_plain_only_to_loopback() {
    assert!(matches!(
        parse_imap("imap://127.0.0.1:1143"),
        Ok(Some(ImapTarget::Plain { .. }))
    ));
    assert!(parse_imap("imap://192.0.2.1:143").is_err());
    assert_eq!(
        parse_imap("imaps://mail.example.org"),
        Ok(Some(ImapTarget::Tls {
            host: "mail.example.org".into(),
            port: 993
        }))
    );
    assert_eq!(
        parse_imap("imaps://127.0.0.1:1993"),
        Ok(Some(ImapTarget::Tls {
            host: "127.0.0.1".into(),
            port: 1993
        }))
    );
    assert_eq!(parse_imap(""), Ok(None));
}

#[test]
fn console_without_any_login_is_refused() {
    let raw = RawConsole {
        listen: "127.0.0.1:0".into(),
        ..Default::default()
    };
    let mut problems = Vec::new();
    build("x.yaml", raw, &mut problems);
    assert_eq!(problems[0].0, "console.admins");
}
