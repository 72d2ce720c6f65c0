//! DMARC `pct` (RFC 7489 6.6.4): a domain may ask that its policy apply to only a share of its
//! failing mail while it rolls DMARC out; the rest gets the next weaker policy (reject →
//! quarantine, quarantine → none). mail-auth follows DMARCbis, which dropped `pct`, so Moat
//! reads the tag itself from the same record.

use super::results::DmarcPolicy;
use mail_auth::MessageAuthenticator;

/// The policy to apply to a failing message of `from_domain`, after `pct` sampling.
pub async fn apply(
    resolver: &MessageAuthenticator,
    from_domain: &str,
    policy: DmarcPolicy,
) -> DmarcPolicy {
    if policy == DmarcPolicy::None {
        return policy;
    }
    let pct = percent(resolver, from_domain).await;
    if sampled(pct, roll()) {
        return policy;
    }
    match policy {
        DmarcPolicy::Reject => DmarcPolicy::Quarantine,
        _ => DmarcPolicy::None,
    }
}

/// `pct` of the record that governs `domain`: its own, else the nearest parent's (the
/// DMARC tree walk). 100 when absent or unreadable.
async fn percent(resolver: &MessageAuthenticator, domain: &str) -> u8 {
    let mut name = domain.trim_end_matches('.');
    loop {
        if let Ok(record) = resolver.txt_raw_lookup(format!("_dmarc.{name}.")).await {
            let record = String::from_utf8_lossy(&record);
            if record.trim_start().starts_with("v=DMARC1") {
                return parse_pct(&record).unwrap_or(100);
            }
        }
        match name.split_once('.') {
            Some((_, parent)) if parent.contains('.') => name = parent,
            _ => return 100,
        }
    }
}

fn parse_pct(record: &str) -> Option<u8> {
    record.split(';').find_map(|tag| {
        let (key, value) = tag.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("pct"))
            .then(|| value.trim().parse::<u8>().ok())
            .flatten()
            .map(|p| p.min(100))
    })
}

/// Whether a message with random number `roll` (0..100) gets the full policy.
fn sampled(pct: u8, roll: u8) -> bool {
    roll < pct
}

fn roll() -> u8 {
    use std::hash::BuildHasher;
    let v = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    (v % 100) as u8
}

#[cfg(test)]
mod tests;
