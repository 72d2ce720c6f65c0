use super::*;

fn session() -> Session {
    let mut s = Session::new(1000);
    s.handle(Command::OptNeg {
        version: 6,
        actions: 0x1ff,
        protocol: 0x1f_ffff,
    });
    s
}

#[test]
fn negotiation_keeps_only_what_moat_uses() {
    let mut s = Session::new(10);
    let Step::Reply(r) = s.handle(Command::OptNeg {
        version: 6,
        actions: 0x1ff,
        protocol: 0x1f_ffff,
    }) else {
        panic!()
    };
    assert_eq!(
        r,
        [Response::OptNeg {
            version: 6,
            actions: 0x31,
            protocol: 0x10_0180
        }]
    );
    assert!(s.leadspc());
    // Headers then get no reply, even one over the size limit.
    let mut s = Session::new(10);
    s.handle(Command::OptNeg {
        version: 6,
        actions: 0,
        protocol: SMFIP_NR_HDR,
    });
    let big = Command::Header {
        name: "X".into(),
        value: vec![b'x'; 20],
    };
    assert_eq!(s.handle(big), Step::Reply(vec![]));
    assert_eq!(s.handle(Command::EndOfMessage(vec![])), Step::TooLarge);
}

#[test]
fn message_is_rebuilt_with_crlf_and_leading_blanks() {
    let mut s = session();
    s.handle(Command::Mail(vec!["<a@example.test>".into()]));
    s.handle(Command::Header {
        name: "Subject".into(),
        value: b" two\n\tlines".to_vec(),
    });
    s.handle(Command::Body(b"hello\r\n".to_vec()));
    assert_eq!(s.handle(Command::EndOfMessage(Vec::new())), Step::Judge);
    assert_eq!(s.message(), b"Subject: two\r\n\tlines\r\n\r\nhello\r\n");
    assert_eq!(s.from.as_ref().unwrap().address(), "a@example.test");
}

#[test]
fn oversized_message_is_refused_and_not_kept() {
    let mut s = session();
    s.handle(Command::Mail(vec!["<>".into()]));
    assert_eq!(
        s.handle(Command::Body(vec![b'x'; 900])),
        Step::Reply(vec![Response::Continue])
    );
    assert_eq!(s.handle(Command::Body(vec![b'x'; 200])), Step::TooLarge);
    assert_eq!(s.handle(Command::EndOfMessage(Vec::new())), Step::TooLarge);
    assert_eq!(s.message(), b"\r\n");
    s.handle(Command::Abort);
    assert_eq!(
        s.handle(Command::Body(b"ok".to_vec())),
        Step::Reply(vec![Response::Continue])
    );
}

#[test]
fn macros_are_kept_without_braces_and_abort_forgets_the_message() {
    let mut s = session();
    s.handle(Command::Macros {
        stage: b'C',
        pairs: vec![
            ("{client_addr}".into(), "192.0.2.1".into()),
            ("j".into(), "mx".into()),
        ],
    });
    assert_eq!(s.macro_value("client_addr"), Some("192.0.2.1"));
    assert_eq!(s.macro_value("j"), Some("mx"));
    s.handle(Command::Mail(vec!["<a@example.test>".into()]));
    s.add_recipient(crate::doors::mailbox("b@example.test").unwrap());
    assert_eq!(s.handle(Command::Abort), Step::Reply(vec![]));
    assert!(s.recipients.is_empty() && s.from.is_none());
    assert_eq!(s.handle(Command::Quit), Step::Close);
}
