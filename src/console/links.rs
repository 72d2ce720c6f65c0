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
        if version != "v1" || !crate::store::quarantine::valid_id(id) {
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
mod tests;
