//! Sessions, CSRF tokens and the login rate limit, all in memory (a restart logs everyone
//! out, which is the safe direction).
//!
//! A session id is 32 random bytes in a `Secure; HttpOnly; SameSite=Strict` cookie; each
//! session has its own CSRF token, which every state-changing form carries and which is
//! compared in constant time. SameSite alone would stop most cross-site posts; the token
//! also covers older browsers and same-site attackers (another app on a sibling host).

use super::random;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "moat_console";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Admin,
    /// A mail recipient: sees only messages addressed to `Session::user`.
    Recipient,
    /// A signed link's holder: acts as the link's recipient, for that one message.
    Link,
}

#[derive(Debug, Clone)]
pub struct Session {
    /// The admin's name, or the recipient's address (lower case).
    pub user: String,
    pub role: Role,
    pub csrf: String,
    expires: Instant,
}

impl Session {
    /// The identity a signed link acts as (no cookie, no CSRF token: the link is both).
    pub fn for_link(recipient: &str) -> Session {
        Session {
            user: recipient.to_lowercase(),
            role: Role::Link,
            csrf: String::new(),
            expires: Instant::now(),
        }
    }

    /// Whether `token` is this session's CSRF token.
    pub fn csrf_ok(&self, token: &str) -> bool {
        !token.is_empty() && random::same(self.csrf.as_bytes(), token.as_bytes())
    }
}

pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    /// A new session; returns its id (the cookie value).
    pub fn create(&self, user: String, role: Role, now: Instant) -> String {
        let id = random::token();
        let session = Session {
            user,
            role,
            csrf: random::token(),
            expires: now + self.lifetime,
        };
        let mut map = self.map.lock().expect("sessions lock");
        map.retain(|_, s| s.expires > now);
        map.insert(id.clone(), session);
        id
    }

    /// The live session of a cookie id; each use extends it (an idle lifetime).
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.map.lock().expect("sessions lock");
        let s = map.get_mut(id)?;
        if s.expires <= now {
            map.remove(id);
            return None;
        }
        s.expires = now + self.lifetime;
        Some(s.clone())
    }

    pub fn remove(&self, id: &str) {
        self.map.lock().expect("sessions lock").remove(id);
    }
}

/// The `Set-Cookie` value of a session (or, with an empty id, its removal).
pub fn set_cookie(id: &str, lifetime: Duration) -> String {
    let age = if id.is_empty() { 0 } else { lifetime.as_secs() };
    format!("{COOKIE}={id}; Path=/; Max-Age={age}; HttpOnly; Secure; SameSite=Strict")
}

/// The session id in a `Cookie` header, if any.
pub fn cookie_id(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Failed logins per key (`ip:…` and `name:…`): after `max` failures within the lockout
/// window, every attempt on that key is refused unchecked until the window ends — a guesser
/// gets `max` tries per window per address and per account.
pub struct LoginLimit {
    map: Mutex<HashMap<String, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

impl LoginLimit {
    pub fn new(max: u32, window: Duration) -> LoginLimit {
        LoginLimit {
            map: Mutex::new(HashMap::new()),
            max,
            window,
        }
    }

    /// Whether any of `keys` is locked now.
    pub fn locked(&self, keys: &[String], now: Instant) -> bool {
        let mut map = self.map.lock().expect("limit lock");
        map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        keys.iter()
            .any(|k| map.get(k).is_some_and(|(n, _)| *n >= self.max))
    }

    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut map = self.map.lock().expect("limit lock");
        for k in keys {
            let e = map.entry(k.clone()).or_insert((0, now));
            e.0 += 1;
        }
    }

    /// A successful login forgets the account's failures (not the address's).
    pub fn succeeded(&self, name_key: &str) {
        self.map.lock().expect("limit lock").remove(name_key);
    }
}

#[cfg(test)]
mod tests;
