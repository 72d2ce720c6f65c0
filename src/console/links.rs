//! Signed release links for digests: `v1.<id>.<recipient hex>.<expiry>.<nonce>.<mac>`, the
//! MAC an HMAC-SHA256 over everything before it with the console's secret. A link releases
//! one message for one recipient, until its expiry, once: its nonce is remembered as used
//! (and a released message is gone from the store anyway).

use super::random;
use ring::hmac;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub recipient: String,
    /// Unix seconds after which it is refused.
    pub expires: u64,
    nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Malformed,
    BadSignature,
    Expired,
    Used,
}

impl LinkError {
    pub fn describe(self) -> &'static str {
        match self {
            LinkError::Malformed | LinkError::BadSignature => "this link is not valid",
            LinkError::Expired => "this link has expired",
            LinkError::Used => "this link was already used",
        }
    }
}

pub struct Signer {
    key: hmac::Key,
    used: Mutex<HashMap<String, u64>>,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            used: Mutex::new(HashMap::new()),
        }
    }

    /// A link token for releasing `id` to `recipient`, valid until `expires`.
    pub fn sign(&self, id: &str, recipient: &str, expires: u64) -> String {
        let mut nonce = [0u8; 16];
        random::fill(&mut nonce);
        let body = format!(
            "v1.{id}.{}.{expires}.{}",
            random::hex(recipient.as_bytes()),
            random::hex(&nonce)
        );
        let mac = hmac::sign(&self.key, body.as_bytes());
        format!("{body}.{}", random::hex(mac.as_ref()))
    }

    /// The link a token names, if its signature holds and it has not expired or been used.
    pub fn check(&self, token: &str, now: u64) -> Result<Link, LinkError> {
        let (body, mac) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
        let mac = random::unhex(mac).ok_or(LinkError::Malformed)?;
        hmac::verify(&self.key, body.as_bytes(), &mac).map_err(|_| LinkError::BadSignature)?;
        let parts: Vec<&str> = body.split('.').collect();
        let [version, id, rcpt, expires, nonce] = parts[..] else {
            return Err(LinkError::Malformed);
        };
        let recipient = random::unhex(rcpt)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(LinkError::Malformed)?;
        let expires: u64 = expires.parse().map_err(|_| LinkError::Malformed)?;
        if version != "v1" || !crate::quarantine::valid_id(id) {
            return Err(LinkError::Malformed);
        }
        if now >= expires {
            return Err(LinkError::Expired);
        }
        if self.used.lock().expect("links lock").contains_key(nonce) {
            return Err(LinkError::Used);
        }
        Ok(Link {
            id: id.to_string(),
            recipient,
            expires,
            nonce: nonce.to_string(),
        })
    }

    /// Marks a checked link used; false if another request used it first.
    pub fn consume(&self, link: &Link, now: u64) -> bool {
        let mut used = self.used.lock().expect("links lock");
        used.retain(|_, exp| *exp > now);
        used.insert(link.nonce.clone(), link.expires).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_signed_link_round_trip() {
        let s = Signer::new(b"0123456789abcdef0123456789abcdef");
        let t = s.sign("1764814800-12345-42-0", "bob@example.test", 1000);
        let link = s.check(&t, 999).unwrap();
        assert_eq!(link.id, "1764814800-12345-42-0");
        assert_eq!(link.recipient, "bob@example.test");
    }

    #[test]
    fn console_signed_link_expired_is_refused() {
        let s = Signer::new(b"k");
        let t = s.sign("a-1", "bob@example.test", 1000);
        assert_eq!(s.check(&t, 1000), Err(LinkError::Expired));
    }

    #[test]
    fn console_signed_link_replay_is_refused() {
        let s = Signer::new(b"k");
        let t = s.sign("a-1", "bob@example.test", 1000);
        let link = s.check(&t, 1).unwrap();
        assert!(s.consume(&link, 1));
        assert_eq!(s.check(&t, 2), Err(LinkError::Used));
        assert!(!s.consume(&link, 2));
    }

    #[test]
    fn console_signed_link_tampering_is_refused() {
        let s = Signer::new(b"k");
        let t = s.sign("a-1", "bob@example.test", 1000);
        // Another message id, another recipient, a later expiry: the MAC no longer holds.
        let forged = t.replacen("a-1", "a-2", 1);
        assert_eq!(s.check(&forged, 1), Err(LinkError::BadSignature));
        let other = Signer::new(b"other key");
        assert_eq!(other.check(&t, 1), Err(LinkError::BadSignature));
        assert_eq!(s.check("garbage", 1), Err(LinkError::Malformed));
    }
}
