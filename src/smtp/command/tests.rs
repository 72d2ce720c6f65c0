use super::*;

fn p(line: &str) -> Result<Command, CommandError> {
    parse(line.as_bytes())
}

#[test]
fn verbs_are_case_insensitive() {
    assert_eq!(
        p("ehlo client.test"),
        Ok(Command::Ehlo("client.test".into()))
    );
    assert_eq!(p("NoOp"), Ok(Command::Noop));
    assert_eq!(p("QUIT"), Ok(Command::Quit));
    assert_eq!(p("WHAT"), Err(CommandError::Unknown));
    assert_eq!(p("GET / HTTP/1.1"), Ok(Command::Http));
}

#[test]
fn mail_with_parameters() {
    let Ok(Command::Mail { from, params }) =
        p("MAIL FROM:<a@b.test> SIZE=1000 BODY=8BITMIME SMTPUTF8")
    else {
        panic!()
    };
    assert_eq!(from.address(), "a@b.test");
    assert_eq!(params.size, Some(1000));
    assert_eq!(params.body, Some(BodyType::EightBitMime));
    assert!(params.smtputf8);
}

#[test]
fn null_sender_and_space_after_colon() {
    assert!(matches!(
        p("MAIL FROM:<>"),
        Ok(Command::Mail {
            from: ReversePath::Null,
            ..
        })
    ));
    assert!(matches!(
        p("mail from: <a@b.test>"),
        Ok(Command::Mail { .. })
    ));
}

#[test]
fn unsupported_and_malformed_arguments() {
    assert_eq!(
        p("MAIL FROM:<a@b.test> RET=FULL"),
        Err(CommandError::UnsupportedParameter("RET".into()))
    );
    assert_eq!(
        p("RCPT TO:<a@b.test> NOTIFY=NEVER"),
        Err(CommandError::UnsupportedParameter("NOTIFY".into()))
    );
    assert_eq!(
        p("MAIL FROM:a@b.test"),
        Err(CommandError::Syntax("MAIL FROM:<address>"))
    );
    assert_eq!(p("MAIL FROM:<a b@c.test>"), Err(CommandError::BadSender));
    assert_eq!(p("RCPT TO:<>"), Err(CommandError::BadRecipient));
    assert_eq!(
        p("DATA now"),
        Err(CommandError::Syntax("this command takes no arguments"))
    );
    assert_eq!(
        p("MAIL FROM:<a@b.test> SIZE=x"),
        Err(CommandError::Syntax("SIZE=<number>"))
    );
}

#[test]
fn quoted_gt_does_not_end_the_path() {
    let Ok(Command::Rcpt { to }) = p("RCPT TO:<\"a>b\"@c.test>") else {
        panic!()
    };
    assert_eq!(to.local, "\"a>b\"");
}

/// A NUL-dropping peer could read such a line differently from Moat.
#[test]
fn nul_in_command_is_a_syntax_error() {
    for line in [
        &b"NOOP\0"[..],
        b"MAIL FROM:<a@b.test>\0",
        b"RCPT TO:<a\0@b.test>",
    ] {
        assert!(
            matches!(parse(line), Err(CommandError::Syntax(_))),
            "{line:?}"
        );
    }
}
