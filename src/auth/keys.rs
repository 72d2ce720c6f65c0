//! Why a signature did not verify, when the key is to blame. mail-auth compares the body
//! hash before it fetches the key, so a message signed with a missing, revoked or short key
//! came out as "body hash mismatch"; and a key under 1024 bits is refused by the crypto
//! library with the same "verification failed" as a forged signature. For a failed
//! signature Moat fetches the key itself (through the one resolver, so the lookup is cached)
//! and reports the key's problem instead: RFC 6376 6.1.2 fetches the key before the body is
//! hashed, and RFC 8301 3.2 sets 1024 bits as the floor.

use super::results::Res;
use mail_auth::common::cache::NoCache;
use mail_auth::common::verify::DomainKey;
use mail_auth::{DkimResult, DnsError, Error, Txt};

/// RFC 8301 3.2: verifiers need not (and Moat does not) accept smaller RSA keys.
pub const MIN_RSA_BITS: usize = 1024;

/// A message can carry thousands of signatures: at most this many distinct keys are
/// fetched again per message, each once, so the re-check cannot multiply DNS traffic.
pub const MAX_RECHECKS: usize = 8;

/// A key's problem: its result and the reason.
type Problem = Option<(Res, String)>;

/// The keys already re-checked for one message, with what was found.
#[derive(Default)]
pub struct Rechecks {
    /// ((domain, selector), problem).
    done: Vec<((String, String), Problem)>,
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
mod tests {
    use super::*;

    #[test]
    fn keys_under_1024_bits_are_a_key_problem() {
        assert_eq!(short(512).unwrap(), "512-bit key, under 1024, RFC 8301 3.2");
        assert_eq!(
            short(1023).unwrap(),
            "1023-bit key, under 1024, RFC 8301 3.2"
        );
        assert_eq!(short(0).unwrap(), "not a usable public key");
        assert_eq!(short(1024), None);
        assert_eq!(short(usize::MAX), None, "Ed25519");
    }

    #[test]
    fn only_hash_and_signature_failures_are_rechecked() {
        let bh = Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch);
        assert!(worth_checking(&DkimResult::Neutral(bh.clone())));
        assert!(!worth_checking(&DkimResult::Fail(bh)));
        assert!(!worth_checking(&DkimResult::Pass));
        assert!(!worth_checking(&DkimResult::None));
    }
}
