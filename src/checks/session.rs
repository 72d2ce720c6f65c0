//! The check state of one session (maddy's `CheckState`, in spirit): what the checks of one
//! stage leave for the later ones. The connection (`crate::conn`) owns one and hands its parts
//! to each stage's checks; the verdict reads what is carried.

use super::{Finding, Refusal};
use crate::smtp::Reply;

#[derive(Default)]
pub struct SessionChecks {
    /// Findings about the connection that did not refuse it (DNSBL/DNSWL below the threshold,
    /// `PREGREET`), carried to the verdict of every message of the session.
    pub carried: Vec<Finding>,
    /// SPF and iprev for the current transaction, started at MAIL FROM (greylisting may wait
    /// for SPF at RCPT; the end of DATA finishes it).
    pub envelope: Option<crate::auth::EnvelopeTask>,
    /// Finding ids of every refusal before the end of DATA, for the session's log line.
    refusals: Vec<String>,
}

impl SessionChecks {
    /// Records why a refusal was made (its finding ids) and returns the reply to send.
    pub fn refused(&mut self, refusal: Refusal) -> Reply {
        self.refusals.extend(refusal.findings);
        refusal.reply
    }

    /// Every refusal's finding id, those the session core decided included (counted here),
    /// comma-separated, for the session's log line.
    pub fn refusal_ids(&mut self, from_session: &[(&'static str, &'static str)]) -> String {
        self.refusals.extend(Refusal::from_session(from_session));
        self.refusals.join(",")
    }

    /// Stops the transaction's SPF/iprev lookups (RSET, a new MAIL FROM).
    pub fn stop_envelope(&mut self) {
        if let Some(task) = self.envelope.take() {
            task.abort();
        }
    }
}
