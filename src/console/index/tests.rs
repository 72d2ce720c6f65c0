use super::*;

fn meta(id: &str, time: u64, to: &str, subject: &str) -> Meta {
    Meta {
        id: id.into(),
        time,
        reference: "r".into(),
        client_ip: "192.0.2.1".into(),
        helo: "h".into(),
        mail_from: "x@spam.example".into(),
        rcpt_to: vec![to.into()],
        score: 7.5,
        tests: "A,B".into(),
        subject: subject.into(),
    }
}

#[test]
fn console_recipient_filter_sees_only_own_rows() {
    let idx = Index::from_rows(vec![
        Row::new(meta("a-1", 1, "alice@example.test", "for Alice")),
        Row::new(meta("b-1", 2, "Bob@example.test", "for Bob")),
    ]);
    let f = Filter {
        only_for: Some("bob@example.test".into()),
        ..Default::default()
    };
    let page = idx.page(&f, 0, 10);
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].meta.id, "b-1");
    let all = idx.page(&Filter::default(), 0, 10);
    assert_eq!(all.rows[0].meta.id, "b-1", "newest first");
    let f = Filter {
        subject: "alice".into(),
        finding: "b".into(),
        ..Default::default()
    };
    assert_eq!(idx.page(&f, 0, 10).total, 1);
}
