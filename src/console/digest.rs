//! Digests: every `console.digest.every`, one mail to each recipient (of a configured
//! domain) with messages held for them, listing each with a signed one-click release link
//! (`links`), sent through the configured backend like a release.

use super::State;
use crate::smtp::params::MailParams;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Messages listed in one digest at most (the newest); the rest are counted.
const MAX_LISTED: usize = 100;

pub async fn schedule(state: Arc<State>) {
    loop {
        let every = state.current().config.console.digest_every;
        let Some(every) = every else {
            // Not configured now; a reload may turn digests on.
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            continue;
        };
        tokio::time::sleep(every).await;
        let sent = send_all(&state).await;
        tracing::info!(sent, "console: digests sent");
    }
}

/// Sends one digest per recipient with held mail; returns how many the backend accepted.
pub async fn send_all(state: &State) -> usize {
    let rt = state.current();
    let config = &rt.config;
    let mut by_rcpt: BTreeMap<String, Vec<Arc<super::index::Row>>> = BTreeMap::new();
    for row in state.index.all() {
        for r in &row.rcpt_lc {
            let local = r
                .rsplit_once('@')
                .is_some_and(|(_, d)| config.domains.contains(d));
            if local {
                by_rcpt.entry(r.clone()).or_default().push(row.clone());
            }
        }
    }
    let now = crate::rules::check::now_unix() as u64;
    let expires = now + config.console.link_lifetime.as_secs();
    let mut sent = 0;
    for (rcpt, rows) in by_rcpt {
        let message = compose(
            state,
            &config.console.url,
            &config.console.digest_from,
            &rcpt,
            &rows,
            expires,
            now,
        );
        match send(&rt.relay, &config.console.digest_from, &rcpt, &message).await {
            Ok(()) => {
                sent += 1;
                tracing::info!(target: "moat::console::audit", who = "digest", action = "digest", recipient = %rcpt, held = rows.len(), "console action");
            }
            Err(e) => tracing::warn!(recipient = %rcpt, error = %e, "console: digest not sent"),
        }
    }
    sent
}

/// The digest mail: plain text, one block per held message with its release link.
pub fn compose(
    state: &State,
    url: &str,
    from: &str,
    rcpt: &str,
    rows: &[Arc<super::index::Row>],
    expires: u64,
    now: u64,
) -> Vec<u8> {
    let clean = |s: &str| {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    };
    let mut m = String::new();
    m.push_str(&format!(
        "From: Moat quarantine <{from}>\r\nTo: <{rcpt}>\r\n"
    ));
    m.push_str(&format!(
        "Subject: {} message(s) held for you\r\n",
        rows.len()
    ));
    m.push_str(&format!(
        "Date: {}\r\n",
        crate::message::headers::rfc5322_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(now)
        )
    ));
    m.push_str(&format!(
        "Message-ID: <digest-{now}-{}@moat>\r\n",
        super::random::token()
    ));
    m.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
    m.push_str("These messages were held back as possible spam. To receive one, open its link\r\n");
    m.push_str(&format!(
        "(valid until {} UTC, once each).\r\n\r\n",
        super::templates::when(expires)
    ));
    for row in rows.iter().take(MAX_LISTED) {
        let token = state.signer.sign(&row.meta.id, rcpt, expires);
        m.push_str(&format!(
            "{}  from {}\r\n  Subject: {}\r\n  Release: {url}/r/{token}\r\n\r\n",
            row.when(),
            clean(&row.meta.mail_from),
            clean(&row.meta.subject),
        ));
    }
    if rows.len() > MAX_LISTED {
        m.push_str(&format!(
            "… and {} more; log in to the console to see them all.\r\n",
            rows.len() - MAX_LISTED
        ));
    }
    m.into_bytes()
}

async fn send(
    relay: &crate::relay::Relay,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<(), String> {
    let err = |e: crate::relay::RelayError| e.to_string();
    let mut s = relay.open().await.map_err(err)?;
    let r = s.mail(from, &MailParams::default()).await.map_err(err)?;
    if !r.is_positive() {
        return Err(format!("MAIL FROM refused: {r}"));
    }
    let r = s.rcpt(to).await.map_err(err)?;
    if !r.is_positive() {
        s.quit().await;
        return Err(format!("recipient refused: {r}"));
    }
    let r = s.data(b"", message).await.map_err(err)?;
    s.quit().await;
    if !r.is_positive() {
        return Err(format!("message refused: {r}"));
    }
    Ok(())
}
