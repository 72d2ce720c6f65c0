//! The connection's side of the lockstep backend transaction: MAIL and RCPT go to the backend
//! as the client sends them (MAIL held back to travel with the first RCPT when the backend
//! pipelines), and a failing backend becomes a `451` for the client.

use super::Conn;
use crate::relay::{BackendSession, RelayError};
use crate::smtp::address::{Mailbox, ReversePath};
use crate::smtp::params::MailParams;
use crate::smtp::reply::Reply;
use std::time::Instant;

impl Conn {
    /// MAIL FROM in lockstep: the backend session is opened (or reused) and asked first.
    pub(super) async fn backend_mail(&mut self, from: &ReversePath, params: &MailParams) -> Reply {
        if !self.backend.as_ref().is_some_and(BackendSession::is_usable) {
            let connect = Instant::now();
            let opened = self.rt.relay.open().await;
            crate::metrics::relay_step("connect", connect.elapsed().as_secs_f64());
            match opened {
                Ok(b) => self.backend = Some(b),
                Err(e) => return self.relay_failed(e),
            }
        }
        let backend = self.backend.as_mut().expect("opened above");
        let asked = Instant::now();
        let result = backend.mail(&from.address(), params).await;
        if !backend.mail_deferred() {
            crate::metrics::relay_step("mail", asked.elapsed().as_secs_f64());
        }
        match result {
            Ok(reply) => {
                self.backend_in_transaction = reply.is_positive();
                reply
            }
            Err(e) => self.relay_failed(e),
        }
    }

    pub(super) async fn backend_rcpt(&mut self, to: &Mailbox) -> Reply {
        let Some(backend) = self.backend.as_mut().filter(|b| b.is_usable()) else {
            return Reply::status(451, 4, 1, "Backend unavailable, try again later");
        };
        // With the MAIL held back, this RCPT is the pipelined MAIL+RCPT round trip.
        let step = if backend.mail_deferred() {
            "mail_rcpt"
        } else {
            "rcpt"
        };
        let asked = Instant::now();
        let result = backend.rcpt(&to.address()).await;
        crate::metrics::relay_step(step, asked.elapsed().as_secs_f64());
        match result {
            Ok(reply) => reply,
            Err(e) => self.relay_failed(e),
        }
    }

    /// A permanent refusal of a recipient is the backend not knowing it (or refusing it for
    /// good): the `RCPT_REFUSED` finding, counted and logged like Moat's own refusals. The
    /// backend's reply is the client's (lockstep), so no verdict picks another.
    pub(super) fn backend_refused_rcpt(&mut self, reply: Reply) -> Reply {
        if reply.code < 500 {
            return reply;
        }
        let id = crate::config::stages::ids::RCPT_REFUSED;
        let refusal = crate::checks::Refusal::new("backend", id, reply);
        self.checks.refused(refusal).reply
    }

    pub(super) async fn backend_reset(&mut self) {
        if !std::mem::take(&mut self.backend_in_transaction) {
            return;
        }
        if let Some(backend) = self.backend.as_mut()
            && let Err(e) = backend.rset().await
        {
            tracing::info!(session = self.session.id(), error = %e, "backend RSET failed; reconnecting next time");
            self.backend = None;
        }
    }

    /// After Moat itself refused a message, the backend still holds MAIL and RCPTs.
    pub(super) async fn backend_reset_after_refusal(&mut self) {
        self.backend_in_transaction = true;
        self.backend_reset().await;
    }

    pub(super) fn relay_failed(&mut self, e: RelayError) -> Reply {
        tracing::warn!(
            session = self.session.id(),
            reference = %self.session.reference(),
            stage = e.stage().as_str(),
            kind = e.kind(),
            error = %e,
            "backend failed"
        );
        crate::metrics::relay_result(e.kind(), None);
        self.backend = None;
        self.backend_in_transaction = false;
        if e.is_timeout() {
            Reply::status(451, 4, 2, "Backend timeout, try again later")
        } else {
            Reply::status(451, 4, 1, "Backend unavailable, try again later")
        }
    }
}
