//! `moat quarantine release`: relays a held message through the configured backend, once.
//! The store moves it to `releasing/` before anything is sent (see `quarantine`).

use crate::config::Config;
use crate::message::spam_headers;
use crate::relay::Relay;
use crate::smtp::params::MailParams;
use crate::store::quarantine::{QuarantineError, Store};
use crate::verdict::Action;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] QuarantineError),
    #[error("backend: {0}")]
    Backend(String),
}

/// A message out of the quarantine.
pub struct Released {
    /// The recipients the backend accepted it for.
    pub to: Vec<String>,
    /// The message as the sender wrote it, Moat's `X-Spam-*` fields removed: what
    /// `--learn-ham` learns.
    pub message: Vec<u8>,
}

/// Relays the held message with its `X-Spam-*` fields rewritten to say it was released
/// (`spam_headers::released`), so the mailbox's Junk rule leaves it in the inbox.
pub async fn release(config: &Config, id: &str) -> Result<Released, ReleaseError> {
    let store = Store::new(&config.policy.quarantine);
    let (meta, message, releasing) = store.begin_release(id)?;
    let note = spam_headers::Released {
        time: crate::rules::check::now_unix() as u64,
        held_score: meta.score,
        held_tests: &meta.tests,
    };
    let relayed = spam_headers::released(&message, &note);
    let result = relay(config, &meta.mail_from, &meta.rcpt_to, &relayed).await;
    // Delivered to at least one recipient: the message is out; keeping it would invite a
    // second, duplicate release.
    let delivered = matches!(&result, Ok(accepted) if !accepted.is_empty());
    store.finish_release(&releasing, delivered)?;
    match result {
        Ok(to) if delivered => Ok(Released {
            to,
            message: spam_headers::edit_message(&message, Action::AddHeader, "").into_owned(),
        }),
        Ok(_) => Err(ReleaseError::Backend("no recipient was accepted".into())),
        Err(e) => Err(e),
    }
}

async fn relay(
    config: &Config,
    from: &str,
    rcpts: &[String],
    message: &[u8],
) -> Result<Vec<String>, ReleaseError> {
    let relay = Relay::new(&config.backend, &config.hostname);
    let per = relay
        .max_recipients_per_transaction()
        .unwrap_or(usize::MAX)
        .max(1);
    let mut accepted = Vec::new();
    for chunk in rcpts.chunks(per) {
        match relay_chunk(&relay, from, chunk, message).await {
            Ok(ok) => accepted.extend(ok),
            // Earlier recipients already have it: report success for them, never resend.
            Err(e) if !accepted.is_empty() => {
                tracing::error!(error = %e, recipients = ?chunk, "release: later recipients failed");
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(accepted)
}

async fn relay_chunk(
    relay: &Relay,
    from: &str,
    chunk: &[String],
    message: &[u8],
) -> Result<Vec<String>, ReleaseError> {
    {
        let err = |e: crate::relay::RelayError| ReleaseError::Backend(e.to_string());
        let mut session = relay.open().await.map_err(err)?;
        let r = session
            .mail(from, &MailParams::default())
            .await
            .map_err(err)?;
        if !r.is_positive() {
            return Err(ReleaseError::Backend(format!("MAIL FROM refused: {r}")));
        }
        let mut ok = Vec::new();
        for to in chunk {
            match session.rcpt(to).await.map_err(err)? {
                r if r.is_positive() => ok.push(to.clone()),
                r => tracing::warn!(recipient = %to, reply = %r, "release: recipient refused"),
            }
        }
        if ok.is_empty() {
            session.quit().await;
            return Ok(ok);
        }
        let r = session.data(b"", message).await.map_err(err)?;
        session.quit().await;
        if !r.is_positive() {
            return Err(ReleaseError::Backend(format!("message refused: {r}")));
        }
        Ok(ok)
    }
}
