//! A small Redis client over a few TCP connections, speaking only what Moat needs.
//!
//! Every call is bounded by the configured timeout (connect included). A call uses the first
//! idle connection of a small fixed pool (`POOL`), so one slow reply does not hold up every
//! session and a Redis across a network is not limited to one round trip at a time. The
//! connection is taken out of its slot for the duration of a call and put back only after a
//! complete exchange, so a call abandoned half-way (timeout, error) drops it rather than leaving
//! unread replies for the next caller; the next call reconnects. After a failed connect or
//! a timeout, calls fail at once for `RETRY_AFTER` instead of each waiting out a timeout
//! against a server that is down or unreachable.

use super::StateError;
use super::resp::{self, Value};
use crate::config::state::RedisUrl;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections per store (opened on demand).
const POOL: usize = 4;
/// How long calls fail fast after a failed connect before one tries again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct RedisStore {
    url: RedisUrl,
    timeout: Duration,
    /// The pool: each slot holds an idle connection, or `None` before the first call and
    /// after a failure.
    slots: Vec<tokio::sync::Mutex<Option<Connection>>>,
    /// Round-robin start when every slot is busy.
    next: AtomicUsize,
    /// Until when calls fail without trying to connect.
    down_until: Mutex<Option<Instant>>,
}

struct Connection {
    tcp: TcpStream,
    /// Bytes read but not yet parsed.
    buf: Vec<u8>,
}

impl RedisStore {
    pub fn new(url: RedisUrl, timeout: Duration) -> RedisStore {
        RedisStore {
            url,
            timeout,
            slots: (0..POOL).map(|_| tokio::sync::Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            down_until: Mutex::new(None),
        }
    }

    /// Sends `commands` in one write (a pipeline) and returns their replies, in order.
    /// A Redis error reply is an `Err`. Bounded by the timeout, or by `timeout` when given.
    pub async fn call(
        &self,
        commands: &[&[&[u8]]],
        timeout: Option<Duration>,
    ) -> Result<Vec<Value>, StateError> {
        if self.is_down() {
            return Err(StateError::Unavailable);
        }
        let bound = timeout.unwrap_or(self.timeout);
        // Boxed: the exchange (connection set-up, reads) is a large future, and without the
        // box every caller's future — rate limits and greylisting on every MAIL and RCPT,
        // even with Redis unused — would carry its size.
        let exchange = Box::pin(self.exchange(commands));
        let replies = match tokio::time::timeout(bound, exchange).await {
            Ok(result) => result?,
            Err(_) => {
                // A server that does not answer (or a black-holed address) would cost every
                // session the whole timeout on every call: fail fast for a while instead.
                self.mark_down();
                return Err(StateError::Timeout);
            }
        };
        for r in &replies {
            if let Value::Error(e) = r {
                return Err(StateError::Server(e.clone()));
            }
        }
        Ok(replies)
    }

    async fn exchange(&self, commands: &[&[&[u8]]]) -> Result<Vec<Value>, StateError> {
        let mut slot = match self.slots.iter().find_map(|s| s.try_lock().ok()) {
            Some(idle) => idle,
            None => {
                let i = self.next.fetch_add(1, Ordering::Relaxed) % POOL;
                self.slots[i].lock().await
            }
        };
        let mut conn = match slot.take() {
            Some(c) => c,
            None => self.connect().await?,
        };
        let mut out = Vec::new();
        for c in commands {
            resp::encode(c, &mut out);
        }
        conn.tcp.write_all(&out).await?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            replies.push(conn.read_reply().await?);
        }
        *slot = Some(conn);
        Ok(replies)
    }

    async fn connect(&self) -> Result<Connection, StateError> {
        let result = self.login().await;
        if result.is_err() {
            self.mark_down();
        }
        result
    }

    fn is_down(&self) -> bool {
        let until = *self.down_until.lock().expect("down lock");
        until.is_some_and(|t| Instant::now() < t)
    }

    fn mark_down(&self) {
        *self.down_until.lock().expect("down lock") = Some(Instant::now() + RETRY_AFTER);
    }

    /// Connects, authenticates and selects the database.
    async fn login(&self) -> Result<Connection, StateError> {
        let tcp = TcpStream::connect(&self.url.address).await?;
        let _ = tcp.set_nodelay(true);
        let mut conn = Connection {
            tcp,
            buf: Vec::new(),
        };
        let mut setup: Vec<Vec<Vec<u8>>> = Vec::new();
        if let Some(pw) = &self.url.password {
            let mut auth = vec![b"AUTH".to_vec()];
            auth.extend(self.url.user.iter().map(|u| u.as_bytes().to_vec()));
            auth.push(pw.as_bytes().to_vec());
            setup.push(auth);
        }
        if self.url.db != 0 {
            setup.push(vec![
                b"SELECT".to_vec(),
                self.url.db.to_string().into_bytes(),
            ]);
        }
        let mut out = Vec::new();
        for c in &setup {
            let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
            resp::encode(&args, &mut out);
        }
        conn.tcp.write_all(&out).await?;
        for _ in &setup {
            if let Value::Error(e) = conn.read_reply().await? {
                return Err(StateError::Server(e));
            }
        }
        tracing::info!(target: "moat::state", address = %self.url.address, "connected to Redis");
        Ok(conn)
    }
}

impl Connection {
    async fn read_reply(&mut self) -> Result<Value, StateError> {
        loop {
            if let Some((value, used)) = resp::parse(&self.buf)? {
                self.buf.drain(..used);
                return Ok(value);
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.tcp.read(&mut chunk).await?;
            if n == 0 {
                return Err(StateError::Io("connection closed by Redis".into()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
