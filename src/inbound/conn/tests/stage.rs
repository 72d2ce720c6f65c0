//! Transcript tests of the stages that need no I/O (HELO's deny list; RCPT's relaying and
//! deny list), run with the session core as the connection runs them: the session asks
//! (`Event::Hello`, `Event::Rcpt`), the stage's checks report, the verdict decides and its
//! reply is what the client reads. No sockets.

use crate::checks::Refusal;
use crate::config::Config;
use crate::inbound::conn::stages;
use crate::smtp::Reply;
use crate::smtp::session::tests::codes;
use crate::smtp::session::{Event, Session, SessionConfig};
use std::sync::Arc;

fn config(extra: &str) -> Config {
    let yaml = format!(
        "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test, old.example.test]\nbackend:\n  protocol: maildir\n  path: ./m\n{extra}"
    );
    Config::from_yaml(&yaml, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// The connection's loop without the backend (it accepts every MAIL and RCPT the stages let
/// through), keeping the finding ids of the refusals as the session log line would.
struct Harness {
    config: Config,
    session: Session,
    resets: usize,
    closed: bool,
    findings: Vec<String>,
}

impl Harness {
    fn new(config: Config) -> Harness {
        let memory = crate::budget::MemoryBudget::new(config.limits.max_memory);
        let cfg = SessionConfig::from_config(&config, false, None, memory);
        let mut session = Session::new(Arc::new(cfg), "T".into());
        session.greet();
        let mut h = Harness {
            config,
            session,
            resets: 0,
            closed: false,
            findings: Vec::new(),
        };
        h.run();
        h
    }

    fn send(&mut self, bytes: &[u8]) -> String {
        self.session.feed(bytes);
        self.run()
    }

    fn refuse(&mut self, refusal: Refusal) {
        self.findings.extend(refusal.findings);
        self.session.refuse(refusal.reply, refusal.strike);
    }

    fn run(&mut self) -> String {
        loop {
            match self.session.poll() {
                Event::NeedInput => break,
                Event::Hello { name } => match stages::helo(&self.config, &name) {
                    Ok(()) => self.session.proceed(),
                    Err(refusal) => self.refuse(refusal),
                },
                Event::Mail { .. } => self.session.resolve(Reply::status(250, 1, 0, "OK")),
                Event::Rcpt { to } => match stages::rcpt_local(&self.config, &to) {
                    Ok(()) => self.session.resolve(Reply::status(250, 1, 5, "OK")),
                    Err(refusal) => self.refuse(refusal),
                },
                Event::Message { .. } => self.session.resolve(Reply::status(250, 0, 0, "ok")),
                Event::Reset => self.resets += 1,
                Event::StartTls => break,
                Event::Close => {
                    self.closed = true;
                    break;
                }
            }
        }
        String::from_utf8(self.session.take_output()).unwrap()
    }
}

#[test]
fn relay_tricks_and_foreign_domains_are_denied() {
    let mut h = Harness::new(config(""));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    for rcpt in [
        "<user%other.test@example.test>",
        "<@a.test:u@example.test>",
        "<\"u@other.test\"@example.test>",
        "<u@other.test>",
        "<other.test!u@example.test>",
        "<u@[127.0.0.1]>",
    ] {
        let r = h.send(format!("RCPT TO:{rcpt}\r\n").as_bytes());
        assert!(
            r.starts_with("550 5.7.1 Relaying denied (ref=T-1)"),
            "{rcpt}: {r}"
        );
    }
    assert!(
        h.send(b"RCPT TO:<Alice@EXAMPLE.test>\r\n")
            .starts_with("250")
    );
    assert!(h.send(b"RCPT TO:<postmaster>\r\n").starts_with("250"));
    assert_eq!(h.findings, ["RELAY_DENIED"; 6]);
}

#[test]
fn denied_helo_refused_550_and_mail_needs_a_new_hello() {
    let mut h = Harness::new(config("lists:\n  deny:\n    helo: [\"*.dyn.bad.test\"]\n"));
    let r = h.send(b"EHLO host-7.dyn.bad.test\r\n");
    assert!(r.starts_with("550 5.7.1 HELO name refused (ref="), "{r}");
    assert_eq!(codes(&h.send(b"MAIL FROM:<a@b.test>\r\n")), ["503"]);
    assert_eq!(codes(&h.send(b"HELO good.test\r\n")), ["250"]);
    assert_eq!(codes(&h.send(b"MAIL FROM:<a@b.test>\r\n")), ["250"]);
    assert_eq!(h.findings, ["DENYLIST_HELO"]);
}

#[test]
fn denied_recipient_refused_550_at_rcpt_others_accepted() {
    let deny = "lists:\n  deny:\n    recipients: [\"@old.example.test\", bob@example.test]\n";
    let mut h = Harness::new(config(deny));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let r = h.send(b"RCPT TO:<Bob@Example.test>\r\n");
    assert!(r.starts_with("550 5.7.1 Recipient refused (ref="), "{r}");
    assert_eq!(codes(&h.send(b"RCPT TO:<alice@example.test>\r\n")), ["250"]);
    assert_eq!(h.session.transaction().unwrap().recipients.len(), 1);
    assert_eq!(h.findings, ["DENYLIST_RECIPIENT"]);
}

/// A relay prober is cut off like any client sending bad commands: each refusal of what it
/// can never have is a strike against `limits.max_bad_commands`.
#[test]
fn relay_denials_count_as_bad_commands() {
    let mut h = Harness::new(config("limits:\n  max_bad_commands: 2\n"));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let r = h.send(b"RCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\n");
    assert_eq!(codes(&r), ["550", "550", "550", "421"]);
    assert!(h.closed);
}

/// An accepted EHLO in the middle of a transaction resets it, at the backend too; a refused
/// one leaves it as it was.
#[test]
fn ehlo_mid_transaction_resets_the_backend_unless_refused() {
    let mut h = Harness::new(config("lists:\n  deny:\n    helo: [bad.test]\n"));
    h.send(b"EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    assert_eq!(codes(&h.send(b"EHLO bad.test\r\n")), ["550"]);
    assert!(h.session.transaction().is_some());
    assert_eq!(h.resets, 0);
    assert_eq!(codes(&h.send(b"EHLO c.test\r\n")), ["250"]);
    assert!(h.session.transaction().is_none());
    assert_eq!(h.resets, 1);
}
