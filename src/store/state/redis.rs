//! The shared store's Redis client: the `redis` crate (tokio, a connection manager over one
//! multiplexed connection, rustls for `rediss://`) held to the bounds Moat promises.
//!
//! Every call is bounded by the configured timeout (connect included). After a failed
//! connect or a timeout, calls fail at once for `RETRY_AFTER` instead of each waiting out a
//! timeout against a server that is down or unreachable. A connection that failed (timeout,
//! I/O error) is dropped with its manager, and the next call builds a new one, so nothing
//! half-read is left for the next caller and no reconnect attempt outlives the fail-fast
//! window. Model blobs (megabytes, `BLOB_TIMEOUT`) travel on their own connection, so a model
//! transfer never queues in front of a session's rate-limit or greylist call.

use super::StateError;
use crate::config::state::{RedisUrl, StateConfig, read_ca};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub use redis::Value;

/// How long calls fail fast after a failed connect or a timeout before one tries again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Which connection a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Small values that sessions wait for (`state.timeout`).
    Session,
    /// Classifier model blobs, bounded by their own timeout.
    Blob,
}

pub struct RedisStore {
    /// The client, or why it could not be built (an unreadable `state.ca`): then every call
    /// fails with that reason.
    client: Result<Client, String>,
    address: String,
    timeout: Duration,
    /// One connection manager per lane, built on first use and dropped after a failure.
    lanes: [Mutex<Option<ConnectionManager>>; 2],
    /// Until when calls fail without trying to connect.
    down_until: Mutex<Option<Instant>>,
}

impl RedisStore {
    pub fn new(config: &StateConfig) -> RedisStore {
        RedisStore {
            client: client(&config.redis, config.ca.as_deref()),
            address: config.redis.address.clone(),
            timeout: config.timeout,
            lanes: [Mutex::new(None), Mutex::new(None)],
            down_until: Mutex::new(None),
        }
    }

    /// Sends `pipeline` (one round trip) and returns its replies, in order. A Redis error
    /// reply is an `Err`. Bounded by the store's timeout, or by `timeout` when given.
    pub async fn call(
        &self,
        pipeline: &redis::Pipeline,
        lane: Lane,
        timeout: Option<Duration>,
    ) -> Result<Vec<Value>, StateError> {
        if self.is_down() {
            return Err(StateError::Unavailable);
        }
        let mut manager = self.manager(lane)?;
        let bound = timeout.unwrap_or(self.timeout);
        // Boxed: the exchange is a large future, and without the box every caller's future —
        // rate limits and greylisting on every MAIL and RCPT, even with Redis unused — would
        // carry its size.
        let exchange = Box::pin(pipeline.query_async::<Vec<Value>>(&mut manager));
        match tokio::time::timeout(bound, exchange).await {
            Ok(Ok(replies)) => Ok(replies),
            Ok(Err(e)) if !e.is_timeout() => Err(self.failed(lane, e)),
            // The crate's connect timeout, or ours.
            Ok(Err(_)) | Err(_) => {
                // A server that does not answer (or a black-holed address) would cost every
                // session the whole timeout on every call: fail fast for a while instead.
                self.drop_connection(lane);
                self.mark_down();
                Err(StateError::Timeout)
            }
        }
    }

    /// The lane's connection manager, built (without connecting: the first call does) when
    /// there is none.
    fn manager(&self, lane: Lane) -> Result<ConnectionManager, StateError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| StateError::Io(e.clone()))?;
        let mut slot = self.lanes[lane as usize].lock().expect("lane lock");
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        // No retries inside the crate: a failed connect is reported at once, and the
        // fail-fast window above paces the next attempt. Replies are bounded by `call`, per
        // call (blobs get longer); the connect bound also ends a reconnect the crate started
        // on its own.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(None);
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| StateError::Io(e.to_string()))?;
        tracing::debug!(target: "moat::store::state", address = %self.address, ?lane, "connecting to Redis");
        *slot = Some(manager.clone());
        Ok(manager)
    }

    /// Turns a failed call into Moat's error. A reply Redis gave (`ERR …`, `WRONGTYPE …`)
    /// leaves the connection in place; anything else drops it, and a connect that failed
    /// starts the fail-fast window.
    fn failed(&self, lane: Lane, e: redis::RedisError) -> StateError {
        if e.code().is_some() {
            return StateError::Server(e.to_string());
        }
        self.drop_connection(lane);
        if e.is_connection_refusal() || !e.is_connection_dropped() {
            self.mark_down();
        }
        StateError::Io(e.to_string())
    }

    fn drop_connection(&self, lane: Lane) {
        *self.lanes[lane as usize].lock().expect("lane lock") = None;
    }

    fn is_down(&self) -> bool {
        let until = *self.down_until.lock().expect("down lock");
        until.is_some_and(|t| crate::clock::now() < t)
    }

    fn mark_down(&self) {
        *self.down_until.lock().expect("down lock") = Some(crate::clock::now() + RETRY_AFTER);
    }
}

/// The crate's client for `url`: host, port, login and database as Moat parsed them (so the
/// URL means what the README says, whatever the crate's own URL syntax), TLS for
/// `rediss://` against the system's trust store or `state.ca`.
fn client(url: &RedisUrl, ca: Option<&std::path::Path>) -> Result<Client, String> {
    let addr = if url.tls {
        ConnectionAddr::TcpTls {
            host: url.host.clone(),
            port: url.port,
            insecure: false,
            tls_params: None,
        }
    } else {
        ConnectionAddr::Tcp(url.host.clone(), url.port)
    };
    let mut login = RedisConnectionInfo::default()
        .set_db(i64::from(url.db))
        .set_skip_set_lib_name();
    if let Some(user) = &url.user {
        login = login.set_username(user);
    }
    if let Some(password) = &url.password {
        login = login.set_password(password);
    }
    let info: ConnectionInfo = addr
        .into_connection_info()
        .map_err(|e| e.to_string())?
        .set_redis_settings(login);
    let built = match ca {
        Some(path) => {
            let root_cert = Some(read_ca(path).map_err(|e| format!("state.ca {e}"))?);
            Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert,
                },
            )
        }
        None => Client::open(info),
    };
    built.map_err(|e| e.to_string())
}
