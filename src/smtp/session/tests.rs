//! Transcript tests: the session core driven with bytes alone, no sockets.

use super::*;
use crate::config::{Config, DEFAULT_YAML};

fn config(edit: impl FnOnce(&mut SessionConfig)) -> Arc<SessionConfig> {
    let c = Config::from_yaml(DEFAULT_YAML, "test").unwrap();
    let memory = crate::budget::MemoryBudget::new(c.limits.max_memory);
    let mut s = SessionConfig::from_config(&c, true, None, memory);
    s.hostname = "mx.example.test".into();
    s.postmaster_domain = "example.test".into();
    edit(&mut s);
    Arc::new(s)
}

/// A driver that accepts everything the backend would be asked, recording messages. The
/// stages' checks are not run here (`crate::inbound::conn::tests::stage` runs them with the session),
/// except that a recipient in `else.test` is refused as the RCPT stage would, to show where
/// a driver's refusal lands among pipelined replies.
struct Harness {
    session: Session,
    messages: Vec<Vec<u8>>,
    resets: usize,
    closed: bool,
}

impl Harness {
    fn new(cfg: Arc<SessionConfig>) -> Harness {
        let mut session = Session::new(cfg, "T".into());
        session.greet();
        let mut h = Harness {
            session,
            messages: Vec::new(),
            resets: 0,
            closed: false,
        };
        h.run();
        h
    }

    /// Feeds bytes and returns everything the session answered.
    fn send(&mut self, bytes: &[u8]) -> String {
        self.session.feed(bytes);
        self.run()
    }

    fn run(&mut self) -> String {
        loop {
            match self.session.poll() {
                Event::NeedInput => break,
                Event::Hello { .. } => self.session.proceed(),
                Event::Mail { .. } => self.session.resolve(Reply::status(250, 1, 0, "OK")),
                Event::Rcpt { to } if to.domain == "else.test" => {
                    let refused = Reply::status(550, 7, 1, "Relaying denied");
                    self.session.refuse(refused, true)
                }
                Event::Rcpt { .. } => self.session.resolve(Reply::status(250, 1, 5, "OK")),
                Event::Message { body } => {
                    self.messages.push(body);
                    self.session.resolve(Reply::status(250, 0, 0, "queued"));
                }
                Event::Reset => self.resets += 1,
                Event::StartTls => {
                    self.session.tls_established();
                    break;
                }
                Event::Close => {
                    self.closed = true;
                    break;
                }
            }
        }
        String::from_utf8(self.session.take_output()).unwrap()
    }
}

/// The final reply codes in `replies` (the last line of each reply); also used by the
/// connection stage's tests.
pub(crate) fn codes(replies: &str) -> Vec<&str> {
    replies
        .split("\r\n")
        .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .map(|l| &l[..3])
        .collect()
}

#[test]
fn full_transaction_in_order() {
    let mut h = Harness::new(config(|_| {}));
    let r = h.send(b"EHLO c.test\r\n");
    assert!(r.starts_with("250-mx.example.test Hello c.test\r\n"), "{r}");
    for ext in [
        "PIPELINING",
        "SIZE 26214400",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
    ] {
        assert!(
            r.contains(&format!("250-{ext}\r\n")) || r.contains(&format!("250 {ext}\r\n")),
            "{ext}: {r}"
        );
    }
    assert_eq!(codes(&h.send(b"MAIL FROM:<a@b.test>\r\n")), ["250"]);
    assert_eq!(codes(&h.send(b"RCPT TO:<alice@example.test>\r\n")), ["250"]);
    assert_eq!(codes(&h.send(b"DATA\r\n")), ["354"]);
    assert_eq!(codes(&h.send(b"Subject: hi\r\n\r\nbody\r\n.\r\n")), ["250"]);
    assert_eq!(h.messages, vec![b"Subject: hi\r\n\r\nbody\r\n".to_vec()]);
    assert_eq!(codes(&h.send(b"QUIT\r\n")), ["221"]);
    assert!(h.closed);
}

#[test]
fn pipelined_commands_answered_in_order_in_any_chunking() {
    let script = b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<x@else.test>\r\nDATA\r\nhello\r\n.\r\nNOOP\r\nQUIT\r\n";
    for chunk in [1, 2, 3, 7, 13, script.len()] {
        let mut h = Harness::new(config(|_| {}));
        let mut all = String::new();
        for piece in script.chunks(chunk) {
            all.push_str(&h.send(piece));
        }
        assert_eq!(
            codes(&all),
            ["250", "250", "250", "550", "354", "250", "250", "221"],
            "chunk {chunk}"
        );
        assert_eq!(h.messages, vec![b"hello\r\n".to_vec()]);
    }
}

#[test]
fn out_of_sequence_commands() {
    let mut h = Harness::new(config(|_| {}));
    assert!(h.send(b"MAIL FROM:<a@b.test>\r\n").starts_with("503 5.5.1"));
    h.send(b"HELO c.test\r\n");
    assert!(
        h.send(b"RCPT TO:<alice@example.test>\r\n")
            .starts_with("503 5.5.1")
    );
    assert!(h.send(b"DATA\r\n").starts_with("503 5.5.1"));
    h.send(b"MAIL FROM:<a@b.test>\r\n");
    assert!(h.send(b"MAIL FROM:<a@b.test>\r\n").starts_with("503 5.5.1"));
    assert!(
        h.send(b"DATA\r\n")
            .starts_with("503 5.5.1 No valid recipients")
    );
}

#[test]
fn simple_commands() {
    let mut h = Harness::new(config(|_| {}));
    assert!(h.send(b"VRFY alice\r\n").starts_with("252 2.5.0"));
    assert!(h.send(b"HELP\r\n").starts_with("214 2.0.0"));
    assert!(h.send(b"NOOP\r\n").starts_with("250 2.0.0"));
    assert!(h.send(b"RSET\r\n").starts_with("250 2.0.0"));
    assert!(h.send(b"FOO\r\n").starts_with("500 5.5.1"));
    assert!(h.send(b"BDAT 10 LAST\r\n").starts_with("502 5.5.1"));
}

#[test]
fn recipient_limits() {
    let mut h = Harness::new(config(|c| c.limits.max_recipients = 2));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let r = h.send(
        b"RCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\n",
    );
    assert_eq!(codes(&r), ["250", "250", "452"]);
    assert!(r.contains("452 4.5.3"));

    let mut h = Harness::new(config(|c| c.backend_max_recipients = Some(1)));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let r = h.send(b"RCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
    assert_eq!(codes(&r), ["250", "452"]);
}

#[test]
fn size_declared_over_the_limit() {
    let mut h = Harness::new(config(|c| c.limits.max_message_size = 1000));
    h.send(b"EHLO c.test\r\n");
    assert!(
        h.send(b"MAIL FROM:<a@b.test> SIZE=1001\r\n")
            .starts_with("552 5.3.4")
    );
    assert!(
        h.send(b"MAIL FROM:<a@b.test> SIZE=1000\r\n")
            .starts_with("250")
    );
}

#[test]
fn oversize_message_is_refused_after_its_end_and_the_session_goes_on() {
    let mut h = Harness::new(config(|c| c.limits.max_message_size = 1000));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n");
    for _ in 0..100 {
        assert_eq!(h.send(&[b'x'; 100]), "");
        h.send(b"\r\n");
    }
    let r = h.send(b".\r\nNOOP\r\n");
    assert_eq!(codes(&r), ["552", "250"]);
    assert!(h.messages.is_empty());
    assert_eq!(h.resets, 1);
}

#[test]
fn smuggling_bare_lf_dot_is_refused_as_one_message() {
    let mut h = Harness::new(config(|_| {}));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n");
    let r = h.send(
        b"first\n.\nMAIL FROM:<e@x.test>\r\nRCPT TO:<a@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n",
    );
    assert_eq!(codes(&r), ["550"]);
    assert!(r.starts_with("550 5.6.0"));
    assert!(h.messages.is_empty());
}

#[test]
fn over_long_command_line_then_session_goes_on() {
    let mut h = Harness::new(config(|_| {}));
    let mut long = vec![b'A'; 10_000];
    long.extend_from_slice(b"\r\nNOOP\r\n");
    assert_eq!(codes(&h.send(&long)), ["500", "250"]);
}

#[test]
fn bare_lf_in_command_is_refused() {
    let mut h = Harness::new(config(|_| {}));
    let r = h.send(b"NOOP\nNOOP\r\n");
    assert!(r.starts_with("500 5.5.2"), "{r}");
    assert_eq!(codes(&r), ["500", "250"]);
}

#[test]
fn too_many_bad_commands_closes() {
    let mut h = Harness::new(config(|c| c.limits.max_bad_commands = 3));
    let r = h.send(b"X\r\nY\r\nZ\r\nNOOP\r\nW\r\nNOOP\r\n");
    assert_eq!(codes(&r), ["500", "500", "500", "250", "500", "421"]);
    assert!(h.closed);
}

#[test]
fn starttls_discards_pipelined_commands() {
    let mut h = Harness::new(config(|_| {}));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let r = h.send(b"STARTTLS\r\nRSET\r\n");
    assert_eq!(codes(&r), ["220"]);
    assert!(h.session.tls_active());
    // The transaction and the greeting are gone; the RSET was never run.
    assert!(h.session.transaction().is_none());
    assert!(h.send(b"MAIL FROM:<a@b.test>\r\n").starts_with("503"));
    let r = h.send(b"EHLO c.test\r\n");
    assert!(!r.contains("STARTTLS"));
}

#[test]
fn http_request_is_refused_and_closed() {
    let mut h = Harness::new(config(|_| {}));
    let r = h.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(r.starts_with("421 4.7.0"));
    assert!(h.closed);
}

#[test]
fn rset_mid_transaction_resets_backend() {
    let mut h = Harness::new(config(|_| {}));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRSET\r\n");
    assert_eq!(h.resets, 1);
    assert!(h.send(b"MAIL FROM:<a@b.test>\r\n").starts_with("250"));
}

/// A session config whose messages reserve from `budget` (`crate::budget`).
fn with_budget(
    budget: &Arc<crate::budget::MemoryBudget>,
    max_message_size: usize,
) -> Arc<SessionConfig> {
    config(|c| {
        c.limits.max_message_size = max_message_size;
        c.memory = budget.clone();
    })
}

#[test]
fn memory_budget_mail_size_that_does_not_fit_is_deferred_452_4_3_1() {
    let budget = crate::budget::MemoryBudget::new(3000);
    let mut h = Harness::new(with_budget(&budget, 10_000));
    h.send(b"EHLO c.test\r\n");
    let r = h.send(b"MAIL FROM:<a@b.test> SIZE=1001\r\n");
    assert!(r.starts_with("452 4.3.1 "), "{r}");
    assert!(
        h.send(b"MAIL FROM:<a@b.test> SIZE=1000\r\n")
            .starts_with("250")
    );
    assert_eq!(budget.used(), 0, "MAIL only asks; DATA reserves");
}

#[test]
fn memory_budget_data_without_room_is_deferred_before_354() {
    let budget = crate::budget::MemoryBudget::new(3000);
    let mut h = Harness::new(with_budget(&budget, 1000));
    let mut other = budget.reservation();
    assert!(other.grow_to(1));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@example.test>\r\n");
    let r = h.send(b"DATA\r\n");
    assert!(r.starts_with("452 4.3.1 "), "{r}");
    drop(other);
    assert_eq!(
        codes(&h.send(b"DATA\r\n")),
        ["354"],
        "the same transaction, room again"
    );
    assert_eq!(budget.used(), 3000);
    assert_eq!(codes(&h.send(b"Subject: x\r\n\r\nhi\r\n.\r\n")), ["250"]);
    assert_eq!(budget.used(), 0);
}

#[test]
fn memory_budget_message_outgrowing_it_is_deferred_and_its_room_freed() {
    const MIB: usize = 1 << 20;
    let budget = crate::budget::MemoryBudget::new(12 * MIB);
    let mut h = Harness::new(with_budget(&budget, 4 * MIB));
    let mut other = budget.reservation();
    assert!(other.grow_to(8 * MIB));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@example.test>\r\n");
    assert_eq!(
        codes(&h.send(b"DATA\r\n")),
        ["354"],
        "room for the first step"
    );
    let line = [b'x'; 998];
    for _ in 0..2 * MIB / 1000 {
        assert_eq!(h.send(&line), "");
        h.send(b"\r\n");
    }
    assert_eq!(
        budget.used(),
        8 * MIB,
        "the refused message gave its room back at once"
    );
    let r = h.send(b".\r\nNOOP\r\n");
    assert_eq!(codes(&r), ["452", "250"], "{r}");
    assert!(r.starts_with("452 4.3.1 "), "{r}");
    assert!(h.messages.is_empty());
    assert_eq!(h.resets, 1, "the backend transaction is reset too");
}

#[test]
fn memory_budget_room_is_held_until_the_message_is_resolved() {
    let budget = crate::budget::MemoryBudget::new(1 << 30);
    let mut s = Session::new(with_budget(&budget, 1000), "T".into());
    s.feed(b"EHLO c.test\r\nMAIL FROM:<a@b.test> SIZE=900\r\n");
    assert!(matches!(s.poll(), Event::Hello { .. }));
    s.proceed();
    assert!(matches!(s.poll(), Event::Mail { .. }));
    s.resolve(Reply::status(250, 1, 0, "OK"));
    s.feed(b"RCPT TO:<a@example.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
    assert!(matches!(s.poll(), Event::Rcpt { .. }));
    s.resolve(Reply::status(250, 1, 5, "OK"));
    assert!(matches!(s.poll(), Event::Message { .. }));
    assert_eq!(budget.used(), crate::budget::cost(900), "the declared size");
    s.resolve(Reply::status(250, 0, 0, "queued"));
    assert_eq!(budget.used(), 0);
}
