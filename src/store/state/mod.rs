//! Shared state for greylisting, rate limits and the classifier model: in this process
//! (`memory`, the default) or in Redis, so that several Moat instances behind a load
//! balancer share one view.
//!
//! The store is an enum rather than a trait object because its operations are async (and
//! there are exactly two backends). Redis is spoken through the `redis` crate (`redis.rs`
//! holds it to Moat's timeouts and fail-fast rule). Every key is prefixed with `state.key_prefix`. Callers
//! get an error, never a panic, and decide what a failure means (`on_error`), reporting it
//! through `metrics::failed` so an outage is counted and logged without flooding.

pub mod memory;
pub mod metrics;
pub mod redis;
pub mod window;

use crate::config::state::{Backend, StateConfig};
use ::redis::{Pipeline, cmd};
use redis::{Lane, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("timed out")]
    Timeout,
    #[error("unavailable (reconnecting)")]
    Unavailable,
    #[error("I/O: {0}")]
    Io(String),
    #[error("Redis said: {0}")]
    Server(String),
    #[error("unexpected reply from Redis")]
    Unexpected,
}

impl From<std::io::Error> for StateError {
    fn from(e: std::io::Error) -> Self {
        StateError::Io(e.to_string())
    }
}

/// The configured store; cheap to clone (sessions share one).
#[derive(Clone)]
pub struct Store {
    prefix: String,
    backend: Kind,
}

#[derive(Clone)]
enum Kind {
    Memory(Arc<memory::MemoryStore>),
    Redis(Arc<redis::RedisStore>),
}

/// How long a model blob transfer may take (it can be megabytes, unlike the small values
/// that sessions wait for under `state.timeout`).
const BLOB_TIMEOUT: Duration = Duration::from_secs(30);
/// Compare-and-set of a blob and its version (KEYS: blob, version; ARGV: blob, expected
/// version or "" for none). Redis runs a script atomically.
const PUBLISH_SCRIPT: &str = "local v = redis.call('GET', KEYS[2]) \
    if (v or '') ~= ARGV[2] then return -1 end \
    redis.call('SET', KEYS[1], ARGV[1]) \
    return redis.call('INCR', KEYS[2])";
/// The in-memory stand-in for "no expiry".
const FOREVER: Duration = Duration::from_secs(10 * 365 * 86400);

impl Store {
    pub fn new(config: &StateConfig) -> Store {
        let backend = match config.backend {
            Backend::Memory => Kind::Memory(Arc::new(memory::MemoryStore::new(config.max_entries))),
            Backend::Redis => Kind::Redis(Arc::new(redis::RedisStore::new(config))),
        };
        Store {
            prefix: config.key_prefix.clone(),
            backend,
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.backend, Kind::Redis(_))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Counts one event under `key` in the current window of the sliding-window counter and
    /// returns the estimated count over the last `window` (see `window`).
    pub async fn hit(&self, key: &str, window: Duration) -> Result<f64, StateError> {
        let w = window::Slot::now(window);
        let (cur, prev) = (
            self.key(&w.current_key(key)),
            self.key(&w.previous_key(key)),
        );
        let ttl = window * 2;
        let (current, previous) = match &self.backend {
            Kind::Memory(m) => (m.incr(&cur, ttl), m.count(&prev)),
            Kind::Redis(r) => {
                let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
                let mut p = Pipeline::new();
                p.add_command(cmd("INCR").arg(&cur).to_owned())
                    .add_command(cmd("PEXPIRE").arg(&cur).arg(ms).to_owned())
                    .add_command(cmd("GET").arg(&prev).to_owned());
                let replies = r.call(&p, Lane::Session, None).await?;
                let [incr, _, get] = replies.as_slice() else {
                    return Err(StateError::Unexpected);
                };
                (int(incr)?, optional_int(get)?.unwrap_or(0))
            }
        };
        Ok(w.estimate(current, previous))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let key = self.key(key);
        match &self.backend {
            Kind::Memory(m) => Ok(m.get(&key)),
            Kind::Redis(r) => bulk(first(
                r.call(&one(cmd("GET").arg(&key)), Lane::Session, None)
                    .await?,
            )?),
        }
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StateError> {
        let key = self.key(key);
        match &self.backend {
            Kind::Memory(m) => m.set(&key, value, ttl),
            Kind::Redis(r) => {
                let ms = u64::try_from(ttl.as_millis().max(1)).unwrap_or(u64::MAX);
                let set = cmd("SET").arg(&key).arg(value).arg("PX").arg(ms).to_owned();
                r.call(&one(&set), Lane::Session, None).await?;
            }
        }
        Ok(())
    }

    /// Stores `blob` under `key` and bumps its version, atomically and only if the version is
    /// still `expected` (`None`: nothing published yet) — a compare-and-set, so two
    /// concurrent publishers cannot silently overwrite each other. Returns the new version,
    /// or `None` when the version had moved on.
    pub async fn publish(
        &self,
        key: &str,
        blob: &[u8],
        expected: Option<u64>,
    ) -> Result<Option<u64>, StateError> {
        let (data, version) = (self.key(key), self.key(&format!("{key}:version")));
        let expected_text = expected.map(|v| v.to_string()).unwrap_or_default();
        match &self.backend {
            Kind::Memory(m) => {
                let current = Some(m.count(&version)).filter(|v| *v > 0);
                if current != expected {
                    return Ok(None);
                }
                m.set(&data, blob, FOREVER);
                Ok(Some(m.incr(&version, FOREVER)))
            }
            Kind::Redis(r) => {
                let eval = cmd("EVAL")
                    .arg(PUBLISH_SCRIPT)
                    .arg(2)
                    .arg(&data)
                    .arg(&version)
                    .arg(blob)
                    .arg(&expected_text)
                    .to_owned();
                let reply = first(r.call(&one(&eval), Lane::Blob, Some(BLOB_TIMEOUT)).await?)?;
                match reply {
                    Value::Int(-1) => Ok(None),
                    ref v => int(v).map(Some),
                }
            }
        }
    }

    /// The version of the blob under `key`, if one was published.
    pub async fn version(&self, key: &str) -> Result<Option<u64>, StateError> {
        let version = self.key(&format!("{key}:version"));
        match &self.backend {
            Kind::Memory(m) => Ok(Some(m.count(&version)).filter(|v| *v > 0)),
            Kind::Redis(r) => optional_int(&first(
                r.call(&one(cmd("GET").arg(&version)), Lane::Session, None)
                    .await?,
            )?),
        }
    }

    /// The blob under `key` and its version, read together (MGET).
    pub async fn fetch(&self, key: &str) -> Result<Option<(u64, Vec<u8>)>, StateError> {
        let (data, version) = (self.key(key), self.key(&format!("{key}:version")));
        match &self.backend {
            Kind::Memory(m) => Ok(m.get(&data).map(|b| (m.count(&version), b))),
            Kind::Redis(r) => {
                let mget = cmd("MGET").arg(&version).arg(&data).to_owned();
                let reply = first(r.call(&one(&mget), Lane::Blob, Some(BLOB_TIMEOUT)).await?)?;
                let Value::Array(mut items) = reply else {
                    return Err(StateError::Unexpected);
                };
                if items.len() != 2 {
                    return Err(StateError::Unexpected);
                }
                let blob = bulk(items.pop().expect("two items"))?;
                let version = optional_int(&items[0])?;
                Ok(blob.map(|b| (version.unwrap_or(0), b)))
            }
        }
    }
}

/// A pipeline of one command.
fn one(command: &::redis::Cmd) -> Pipeline {
    let mut p = Pipeline::new();
    p.add_command(command.clone());
    p
}

/// The reply to a pipeline's only (or first) command.
fn first(replies: Vec<Value>) -> Result<Value, StateError> {
    replies.into_iter().next().ok_or(StateError::Unexpected)
}

fn int(v: &Value) -> Result<u64, StateError> {
    match v {
        Value::Int(n) => u64::try_from(*n).map_err(|_| StateError::Unexpected),
        _ => Err(StateError::Unexpected),
    }
}

/// A number stored as a string (`GET` of a counter), `None` when the key is absent.
fn optional_int(v: &Value) -> Result<Option<u64>, StateError> {
    match v {
        Value::Nil => Ok(None),
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or(StateError::Unexpected),
        _ => Err(StateError::Unexpected),
    }
}

fn bulk(v: Value) -> Result<Option<Vec<u8>>, StateError> {
    match v {
        Value::Nil => Ok(None),
        Value::BulkString(b) => Ok(Some(b)),
        _ => Err(StateError::Unexpected),
    }
}

#[cfg(test)]
mod tests;
