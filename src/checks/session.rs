//! The check state of one session (maddy's `CheckState`, in spirit): what the checks of one
//! stage leave for the later ones. The connection (`crate::inbound::conn`) owns one and hands its parts
//! to each stage's checks; the verdict reads what is carried.

use super::{Finding, Refusal};

#[derive(Default)]
pub struct SessionChecks {
    /// Findings about the connection that did not refuse it (DNSBL/DNSWL below the threshold,
    /// `PREGREET`), carried to the verdict of every message of the session.
    pub carried: Vec<Finding>,
    /// SPF and iprev for the current transaction, started at MAIL FROM (greylisting may wait
    /// for SPF at RCPT; the end of DATA finishes it).
    pub envelope: Option<crate::auth::EnvelopeTask>,
    /// The findings of every refusal before the end of DATA, for the session's log line and,
    /// without score or forced action (they acted already), for the verdict of each message
    /// the session still sends: `X-Spam-Status` then says the client was refused a HELO
    /// name, a recipient or relaying on the way.
    refusals: Vec<Finding>,
}

impl SessionChecks {
    /// Records why a refusal was made (its findings) and gives it back to be answered.
    pub fn refused(&mut self, refusal: Refusal) -> Refusal {
        let reason = match refusal.reason.is_empty() {
            true => format!("refused before DATA: {}", refusal.reply.text()),
            false => format!("refused before DATA: {}", refusal.reason),
        };
        let found = refusal
            .findings
            .iter()
            .map(|id| Finding::fact(id.clone(), &reason));
        self.refusals.extend(found);
        refusal
    }

    /// Every refusal's finding id, comma-separated, for the session's log line.
    pub fn refusal_ids(&self) -> String {
        let ids: Vec<&str> = self.refusals.iter().map(|f| f.id.as_str()).collect();
        ids.join(",")
    }

    /// The refusals' findings (score 0), for a message's verdict.
    pub fn refusal_findings(&self) -> &[Finding] {
        &self.refusals
    }

    /// Stops the transaction's SPF/iprev lookups (RSET, a new MAIL FROM).
    pub fn stop_envelope(&mut self) {
        if let Some(task) = self.envelope.take() {
            task.abort();
        }
    }
}
