//! One handler per SMTP command: sequencing rules, protocol limits (recipients, SIZE,
//! address forms) and the event the driver must act on. Policy — deny lists, relaying,
//! rates — is the stages' (`crate::inbound::conn::stages`): HELO, MAIL and RCPT become events.

use super::{Event, Hello, Pending, Phase, Session};
use crate::config::QuotedLocalParts;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::smtp::command::Command;
use crate::smtp::data::{DataProblem, DataReceiver};
use crate::smtp::params::MailParams;
use crate::smtp::reply::Reply;

impl Session {
    pub(super) fn command(&mut self, cmd: Command) -> Option<Event> {
        match cmd {
            Command::Ehlo(name) => self.hello_cmd(name, true),
            Command::Helo(name) => self.hello_cmd(name, false),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to } => self.rcpt(to),
            Command::Data => self.data(),
            Command::Rset => {
                self.reply(Reply::status(250, 0, 0, "OK"));
                self.abandon_transaction()
            }
            Command::Noop => {
                self.reply(Reply::status(250, 0, 0, "OK"));
                None
            }
            Command::Vrfy => {
                let text = "Cannot VRFY user; send some mail and Moat will try";
                self.reply(Reply::status(252, 5, 0, text));
                None
            }
            Command::Help => {
                let text = "Moat: see RFC 5321 (commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS)";
                self.reply(Reply::status(214, 0, 0, text));
                None
            }
            Command::Quit => {
                self.quit = true;
                self.close_with(Reply::status(221, 0, 0, "Bye"));
                None
            }
            Command::StartTls => self.starttls(),
            Command::Lhlo(_) | Command::Expn | Command::Bdat => {
                self.bad_command(Reply::status(502, 5, 1, "Command not implemented"));
                None
            }
            Command::Http => {
                let r = Reply::status(421, 7, 0, "This is an SMTP server; closing connection");
                self.close_with(r);
                None
            }
        }
    }

    /// The HELO stage's checks run first (`Event::Hello`); `proceed` then greets.
    fn hello_cmd(&mut self, name: String, extended: bool) -> Option<Event> {
        let hello = Hello {
            name: name.clone(),
            extended,
        };
        self.phase = Phase::Pending(Pending::Hello(hello));
        Some(Event::Hello { name })
    }

    /// Greets an accepted HELO/EHLO; one in the middle of a transaction resets it, and the
    /// driver hears `Event::Reset` from its next `poll`.
    pub(super) fn hello_accepted(&mut self, hello: Hello) {
        let Hello { name, extended } = hello;
        let greeting = format!("{} Hello {}", self.cfg.hostname, name);
        self.hello = Some(Hello { name, extended });
        if extended {
            let mut lines = vec![
                greeting,
                "PIPELINING".to_string(),
                format!("SIZE {}", self.cfg.limits.max_message_size),
                "8BITMIME".to_string(),
                "SMTPUTF8".to_string(),
                "ENHANCEDSTATUSCODES".to_string(),
            ];
            if self.cfg.tls_available && !self.tls_active {
                lines.push("STARTTLS".to_string());
            }
            lines.push("HELP".to_string());
            self.reply(Reply::multiline(250, None, lines));
        } else {
            self.reply(Reply::new(250, None, greeting));
        }
        // EHLO/HELO in the middle of a transaction resets it (RFC 5321 4.1.4).
        self.owe_reset = self.transaction.take().is_some();
    }

    fn mail(&mut self, from: ReversePath, params: MailParams) -> Option<Event> {
        if self.hello.is_none() {
            self.bad_command(Reply::status(503, 5, 1, "Send EHLO or HELO first"));
            return None;
        }
        if self.transaction.is_some() {
            self.bad_command(Reply::status(503, 5, 1, "Nested MAIL command"));
            return None;
        }
        if let ReversePath::Mailbox(m) = &from
            && self.refuses_quoted(m)
        {
            self.reply(Reply::status(553, 1, 7, "Quoted local part not accepted"));
            return None;
        }
        if params
            .size
            .is_some_and(|s| s > self.cfg.limits.max_message_size as u64)
        {
            let r = Reply::status(552, 3, 4, "Message too big");
            self.reply(r);
            return None;
        }
        if let Some(size) = params.size
            && !self
                .cfg
                .memory
                .would_fit(crate::budget::cost(size as usize))
        {
            // RFC 1870 6.1: the declared size does not fit now; the client tries later.
            crate::budget::metrics::refused("mail");
            self.reply(insufficient_storage());
            return None;
        }
        if let ReversePath::Mailbox(m) = &from
            && !m.is_ascii()
            && !params.smtputf8
        {
            let r = Reply::status(553, 6, 7, "Non-ASCII address needs SMTPUTF8");
            self.reply(r);
            return None;
        }
        self.messages += 1;
        self.phase = Phase::Pending(Pending::Mail(from.clone(), params.clone()));
        Some(Event::Mail { from, params })
    }

    fn rcpt(&mut self, mut to: Mailbox) -> Option<Event> {
        let Some(txn) = &self.transaction else {
            self.bad_command(Reply::status(503, 5, 1, "Need MAIL before RCPT"));
            return None;
        };
        if to.domain.is_empty() {
            // RCPT TO:<postmaster> (RFC 5321 4.5.1).
            to.domain = self.cfg.postmaster_domain.clone();
        }
        let count = txn.recipients.len();
        let smtputf8 = txn.params.smtputf8;
        // A quoted `@` is a routing trick: the RCPT stage refuses it as relaying
        // (`RELAY_DENIED`, docs/replies.md), not as a quoted local part.
        if !to.is_routing_trick() && self.refuses_quoted(&to) {
            self.reply(Reply::status(553, 1, 3, "Quoted local part not accepted"));
            return None;
        }
        if !to.is_ascii() && !smtputf8 {
            let r = Reply::status(553, 6, 7, "Non-ASCII address needs SMTPUTF8");
            self.reply(r);
            return None;
        }
        let backend_max = self.cfg.backend_max_recipients.unwrap_or(usize::MAX);
        if count >= self.cfg.limits.max_recipients || count >= backend_max {
            let r = Reply::status(
                452,
                5,
                3,
                "Too many recipients, send the rest in a new message",
            );
            self.reply(r);
            return None;
        }
        self.phase = Phase::Pending(Pending::Rcpt(to.clone()));
        Some(Event::Rcpt { to })
    }

    /// A local part that needs quotes even in canonical form (`"john doe"`): almost no real
    /// mail uses one, and each is a spelling that lists, stores and backends may read apart.
    fn refuses_quoted(&self, mailbox: &Mailbox) -> bool {
        let refused = mailbox.quoted && self.cfg.quoted_local_parts == QuotedLocalParts::Reject;
        if refused {
            tracing::info!(target: "moat::refusal", reference = %self.reference(), "quoted local part refused");
        }
        refused
    }

    fn data(&mut self) -> Option<Event> {
        let Some(txn) = &self.transaction else {
            self.bad_command(Reply::status(503, 5, 1, "Need MAIL before DATA"));
            return None;
        };
        if txn.recipients.is_empty() {
            self.bad_command(Reply::status(503, 5, 1, "No valid recipients"));
            return None;
        }
        let limits = &self.cfg.limits;
        let hint = (txn.params.size.unwrap_or(0) as usize).min(limits.max_message_size);
        // Room for the declared size (or a first step) before the 354: a client that cannot
        // have it is told now, before it sends anything.
        let mut reservation = self.cfg.memory.reservation();
        let first = match txn.params.size {
            Some(_) => hint,
            None => crate::budget::GROWTH_STEP.min(limits.max_message_size),
        };
        if !reservation.grow_to(crate::budget::cost(first)) {
            crate::budget::metrics::refused("data");
            self.reply(insufficient_storage());
            return None;
        }
        let receiver = DataReceiver::new(
            limits.max_message_size,
            limits.max_data_line,
            self.cfg.bare_newline,
            hint,
        )
        .with_nul_bytes(self.cfg.nul_bytes)
        .reserving(reservation);
        self.phase = Phase::Data(Box::new(receiver));
        self.reply(Reply::new(354, None, "End data with <CR><LF>.<CR><LF>"));
        None
    }

    pub(super) fn data_refused(&mut self, problem: DataProblem) {
        let reply = match problem {
            DataProblem::TooBig => Reply::status(552, 3, 4, "Message too big"),
            DataProblem::BareNewline => Reply::status(550, 6, 0, "Bare CR or LF in message"),
            DataProblem::LineTooLong => Reply::status(550, 6, 0, "Message line too long"),
            DataProblem::NulByte => Reply::status(550, 6, 0, "NUL byte in message"),
            DataProblem::NoMemory => {
                crate::budget::metrics::refused("receiving");
                insufficient_storage()
            }
        };
        self.reply(reply);
        self.transaction = None;
    }

    fn starttls(&mut self) -> Option<Event> {
        if !self.cfg.tls_available {
            self.bad_command(Reply::status(502, 5, 1, "STARTTLS not available"));
            return None;
        }
        if self.tls_active {
            self.bad_command(Reply::status(503, 5, 1, "TLS already active"));
            return None;
        }
        self.reply(Reply::status(220, 0, 0, "Ready to start TLS"));
        // CVE-2011-0411 class: nothing the client pipelined in plaintext after STARTTLS may
        // be executed inside the TLS session.
        self.input.clear();
        self.framer.reset();
        self.hello = None;
        self.transaction = None;
        Some(Event::StartTls)
    }

    /// Ends the transaction, telling the driver when there was one to reset at the backend.
    fn abandon_transaction(&mut self) -> Option<Event> {
        self.transaction.take().map(|_| Event::Reset)
    }
}

/// The memory budget has no room for this message now (RFC 1870 / RFC 3463 4.3.1).
fn insufficient_storage() -> Reply {
    Reply::status(452, 3, 1, "Insufficient system storage, try again later")
}
