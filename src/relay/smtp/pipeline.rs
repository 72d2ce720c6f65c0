//! The two round-trip savers of the backend session, each used only when the backend
//! advertised the extension and the config allows it (`backend.pipelining`, `backend.chunking`).
//!
//! - PIPELINING (RFC 2920): the client's MAIL is answered locally and held back; the first RCPT
//!   sends `MAIL FROM…` and `RCPT TO…` in one write and reads both replies. A backend that
//!   refuses MAIL answers the pipelined RCPT out of sequence (`503`); the client then gets the
//!   MAIL reply for its RCPT (Postfix's `smtpd_delay_reject` does the same) and the MAIL stays
//!   held back, so the next RCPT tries both again.
//! - CHUNKING (RFC 3030): the message goes as `BDAT <n> LAST` followed by exactly `n` bytes, in
//!   one write when it fits in a chunk: no `354` to wait for and no dot-stuffing.

use super::{CHUNK, SmtpSession, is_2xx, mail_command, within};
use crate::relay::{RelayError, Stage};
use crate::smtp::{MailParams, Reply};

/// A MAIL answered locally, waiting for the first RCPT to travel with it.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub from: String,
    pub params: MailParams,
    /// The connection had idled before this transaction, so the backend may have closed it
    /// meanwhile: a failure at the first write may be retried on a new connection.
    pub idled: bool,
}

impl SmtpSession {
    /// The MAIL held back for the next RCPT, if any.
    pub fn deferred_mail(&self) -> Option<&Deferred> {
        self.deferred.as_deref()
    }

    /// Holds MAIL back and answers it locally; the backend hears it with the first RCPT.
    pub(super) fn defer_mail(&mut self, from: &str, params: &MailParams) -> Reply {
        let idled = self.has_idled();
        self.transactions += 1;
        self.accepted_rcpts = 0;
        self.deferred = Some(Box::new(Deferred {
            from: from.to_string(),
            params: params.clone(),
            idled,
        }));
        tracing::debug!("backend MAIL deferred to the first RCPT");
        Reply::status(250, 1, 0, "Sender ok")
    }

    /// Sends the held-back MAIL and `to`'s RCPT in one write and reads both replies. The
    /// client hears the RCPT reply, or the MAIL reply when the backend refused MAIL.
    pub(super) async fn mail_and_rcpt(
        &mut self,
        mail: Box<Deferred>,
        to: &str,
    ) -> Result<Reply, RelayError> {
        // Unread bytes would be taken as the reply to MAIL and shift every later answer.
        if !self.conn.rbuf.is_empty() {
            return Err(RelayError::Unexpected { stage: Stage::Mail });
        }
        let mut lines = mail_command(&mail.from, &mail.params, &self.caps);
        lines.push_str(&format!("RCPT TO:<{to}>\r\n"));
        tracing::debug!(commands = lines.trim_end(), "backend commands pipelined");
        let after = self.target.timeouts.command;
        let conn = &mut self.conn;
        let mail_reply = within(Stage::Mail, after, async {
            conn.write(Stage::Mail, lines.as_bytes()).await?;
            conn.read_reply(Stage::Mail).await
        })
        .await?;
        if mail_reply.code == 421 {
            // The backend is closing: the RCPT reply may never come.
            self.closing = true;
            self.deferred = Some(mail);
            return Ok(mail_reply);
        }
        let stage = Stage::Rcpt;
        let rcpt_reply = within(stage, after, self.conn.read_reply(stage)).await?;
        self.closing |= rcpt_reply.code == 421;
        if !is_2xx(&mail_reply) {
            // A backend that took a RCPT without a sender holds something RSET must clear.
            self.in_transaction = is_2xx(&rcpt_reply);
            self.deferred = Some(mail);
            return Ok(mail_reply);
        }
        self.in_transaction = true;
        if is_2xx(&rcpt_reply) {
            self.accepted_rcpts += 1;
        }
        Ok(rcpt_reply)
    }

    /// Writes `BDAT <n> LAST` and the message (headers, then body as received, not
    /// dot-stuffed). The command, the headers and the start of the body go in one write; a
    /// body larger than a chunk follows straight from its buffer, `CHUNK` bytes per write,
    /// each of which must make progress within the data timeout.
    pub(super) async fn send_bdat(
        &mut self,
        headers: &[u8],
        body: &[u8],
    ) -> Result<(), RelayError> {
        let (stage, after) = (Stage::Data, self.target.timeouts.data);
        if !self.conn.rbuf.is_empty() {
            return Err(RelayError::Unexpected { stage });
        }
        let size = headers.len() + body.len();
        let command = format!("BDAT {size} LAST\r\n");
        tracing::debug!(bytes = size, "backend message sent with BDAT");
        let first = CHUNK
            .saturating_sub(command.len() + headers.len())
            .min(body.len());
        let mut out = Vec::with_capacity(command.len() + headers.len() + first);
        out.extend_from_slice(command.as_bytes());
        out.extend_from_slice(headers);
        out.extend_from_slice(&body[..first]);
        within(stage, after, self.conn.write(stage, &out)).await?;
        for piece in body[first..].chunks(CHUNK) {
            within(stage, after, self.conn.write(stage, piece)).await?;
        }
        Ok(())
    }

    /// The data step uses BDAT on this connection.
    pub fn uses_bdat(&self) -> bool {
        self.caps.chunking
    }
}
