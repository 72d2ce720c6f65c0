//! Why a signature did not verify, when the key is to blame. mail-auth compares the body
//! hash before it fetches the key, so a message signed with a missing, revoked or short key
//! came out as "body hash mismatch"; and a key under 1024 bits is refused by the crypto
//! library with the same "verification failed" as a forged signature. For a failed
//! signature Moat fetches the key itself (through the one resolver, so the lookup is cached)
//! and reports the key's problem instead: RFC 6376 6.1.2 fetches the key before the body is
//! hashed, and RFC 8301 3.2 sets 1024 bits as the floor.

use super::results::Res;
use mail_auth::common::cache::NoCache;
use mail_auth::common::crypto::HashAlgorithm;
use mail_auth::common::verify::DomainKey;
use mail_auth::{DkimResult, DnsError, Error, Txt};
use std::sync::Arc;

/// RFC 8301 3.2: verifiers need not (and Moat does not) accept smaller RSA keys.
pub const MIN_RSA_BITS: usize = 1024;

/// A message can carry thousands of signatures: at most this many distinct keys are
/// fetched again per message, each once, so the re-check cannot multiply DNS traffic.
pub const MAX_RECHECKS: usize = 8;

/// A key's problem: its result and the reason.
type Problem = Option<(Res, String)>;

/// (domain, selector) of a key.
type KeyName = (String, String);

/// The keys already re-checked for one message, with what was found.
#[derive(Default)]
pub struct Rechecks {
    /// ((domain, selector), problem).
    done: Vec<(KeyName, Problem)>,
    /// ((domain, selector), the key record if it could be read), for `judge`.
    records: Vec<(KeyName, Option<Arc<DomainKey>>)>,
}

impl Rechecks {
    /// `problem` for `selector._domainkey.domain`, fetched at most once per message and
    /// not at all beyond `MAX_RECHECKS` keys (then the library's reason stands).
    pub async fn problem(
        &mut self,
        resolver: &crate::dns::Resolver,
        domain: &str,
        selector: &str,
    ) -> Option<(Res, String)> {
        let key = (domain.to_ascii_lowercase(), selector.to_string());
        if let Some((_, found)) = self.done.iter().find(|(k, _)| *k == key) {
            return found.clone();
        }
        if self.done.len() >= MAX_RECHECKS {
            return None;
        }
        let found = problem(resolver, domain, selector).await;
        self.done.push((key, found.clone()));
        found
    }

    /// The key record of a signature the library verified (or refused on its signature),
    /// read at most once per message and for at most `MAX_RECHECKS` keys; the lookup was
    /// just made by the library, so the resolver's cache answers it.
    pub async fn record(
        &mut self,
        resolver: &crate::dns::Resolver,
        domain: &str,
        selector: &str,
    ) -> Option<Arc<DomainKey>> {
        let key = (domain.to_ascii_lowercase(), selector.to_string());
        if let Some((_, found)) = self.records.iter().find(|(k, _)| *k == key) {
            return found.clone();
        }
        if self.records.len() >= MAX_RECHECKS {
            return None;
        }
        let name = format!("{selector}._domainkey.{domain}.");
        let lookup = resolver.txt_lookup::<DomainKey>(name, None::<&NoCache<Box<str>, Txt>>);
        let found = Box::pin(lookup).await.ok();
        self.records.push((key, found.clone()));
        found
    }
}

/// mail-auth's bit for `t=y` in `DomainKey::f` (its flag type is private);
/// `testing_flag_bit_is_mail_auths` fails if an upgrade moves it.
const TESTING: u64 = 0x10;

/// What the key record changes about a verified (`pass`) or failed (`fail`) sha256
/// signature, which mail-auth does not check (RFC 6376 3.6.1):
/// - `h=` without `sha256`: the key must be ignored, PERMFAIL (6.1.2 step 6);
/// - `t=y`, the domain is testing DKIM: a failure must not be treated differently from an
///   unsigned message, so it becomes `neutral` (no score by default) with the reason.
pub fn judge(key: &DomainKey, result: Res, selector: &str, why: &str) -> Option<(Res, String)> {
    let hashes = u64::from(HashAlgorithm::Sha1) | u64::from(HashAlgorithm::Sha256);
    if key.f & hashes != 0 && !key.has_flag(HashAlgorithm::Sha256) {
        let why = format!("key {selector}: h= does not allow sha256, RFC 6376 3.6.1");
        return Some((Res::PermError, why));
    }
    if result == Res::Fail && key.f & TESTING != 0 {
        let why = format!("key {selector}: t=y testing mode, {why} ignored, RFC 6376 3.6.1");
        return Some((Res::Neutral, why));
    }
    None
}

/// Whether a failure could hide a key problem: the body hash was compared, or the
/// signature checked, before anything looked at the key itself.
pub fn worth_checking(result: &DkimResult) -> bool {
    use mail_auth::common::crypto::CryptoError;
    matches!(
        result,
        DkimResult::Neutral(Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch))
            | DkimResult::Neutral(Error::Arc(mail_auth::arc::ArcError::FailedBodyHashMatch))
            | DkimResult::Fail(Error::Crypto(CryptoError::FailedVerification))
    )
}

/// The problem with the key `selector._domainkey.domain`, if it has one: its result
/// (temperror when DNS did not answer, else permerror) and the reason.
async fn problem(
    resolver: &crate::dns::Resolver,
    domain: &str,
    selector: &str,
) -> Option<(Res, String)> {
    let name = format!("{selector}._domainkey.{domain}.");
    let lookup = resolver.txt_lookup::<DomainKey>(name, None::<&NoCache<Box<str>, Txt>>);
    match Box::pin(lookup).await {
        Err(Error::Dns(DnsError::Resolver(e))) => {
            Some((Res::TempError, format!("key {selector}: DNS error {e}")))
        }
        Err(e) => Some((Res::PermError, format!("key {selector}: {e}"))),
        Ok(key) => short(key.p.public_key_bits())
            .map(|why| (Res::PermError, format!("key {selector}: {why}"))),
    }
}

/// RSA keys report their modulus size, others `usize::MAX`; 0 means the bytes are not an
/// RSA public key at all.
fn short(bits: usize) -> Option<String> {
    match bits {
        0 => Some("not a usable public key".into()),
        b if b < MIN_RSA_BITS => Some(format!("{b}-bit key, under {MIN_RSA_BITS}, RFC 8301 3.2")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
