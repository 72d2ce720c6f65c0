//! The milter door (`milter.listen`, TCP or a Unix socket): Postfix or Sendmail stays the
//! MX and asks Moat about every connection, recipient and message over the milter protocol
//! (version 6). Moat answers with its own pipeline's verdict (`crate::doors::judge`) and
//! carries it out through the MTA: refusals with Moat's reply and reference, headers, a
//! tagged subject, quarantine. See docs/integrations.md.
//!
//! Bounds: `milter.max_connections` MTA connections at once (more are closed at once),
//! `milter.timeout` per command, `codec::MAX_PACKET` per packet, `limits.max_message_size`
//! per message.

pub mod codec;
pub mod conn;
pub mod edits;
pub mod session;

use crate::doors::scan_api::Current;
use crate::doors::scan_api::config::MilterListen;
use crate::doors::{Door, refused};
use std::sync::Arc;
use tokio::sync::Semaphore;

enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

pub struct Milter {
    listener: Listener,
    current: Current,
    seats: Arc<Semaphore>,
}

impl Milter {
    /// Binds the listener (a stale Unix socket file from an earlier run is replaced).
    pub fn bind(listen: &MilterListen, current: Current) -> std::io::Result<Milter> {
        let listener = match listen {
            MilterListen::Tcp(addr) => Listener::Tcp(crate::inbound::listener::bind(*addr, 1024)?),
            MilterListen::Unix(path) => {
                if std::fs::symlink_metadata(path)
                    .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
                {
                    std::fs::remove_file(path)?;
                }
                Listener::Unix(tokio::net::UnixListener::bind(path)?)
            }
        };
        let seats = Arc::new(Semaphore::new(current().config.milter.max_connections));
        Ok(Milter {
            listener,
            current,
            seats,
        })
    }

    /// The TCP address, when listening on TCP.
    /// The connection seats: every one is back once no MTA connection is open (shutdown
    /// waits for that, `crate::doors::Draining`).
    pub fn seats(&self) -> Arc<Semaphore> {
        self.seats.clone()
    }

    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match &self.listener {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(_) => None,
        }
    }

    /// Accepts until the task is dropped; each MTA connection in a task of its own, with
    /// the runtime current when it connected.
    pub async fn run(self) {
        match &self.listener {
            Listener::Tcp(l) => {
                tracing::info!(address = %crate::logfield::or_unknown(l.local_addr().ok()), "milter listening")
            }
            Listener::Unix(l) => {
                tracing::info!(address = ?l.local_addr().ok(), "milter listening")
            }
        }
        loop {
            let accepted: std::io::Result<Box<dyn Stream>> = match &self.listener {
                Listener::Tcp(l) => l.accept().await.map(|(s, _)| {
                    // Answers are small packets the MTA waits for: never hold them back.
                    let _ = s.set_nodelay(true);
                    Box::new(s) as Box<dyn Stream>
                }),
                Listener::Unix(l) => l
                    .accept()
                    .await
                    .map(|(s, _)| Box::new(s) as Box<dyn Stream>),
            };
            let Ok(stream) = accepted else {
                continue;
            };
            let Ok(seat) = self.seats.clone().try_acquire_owned() else {
                // The MTA applies milter_default_action to this connection.
                refused(Door::Milter, "full");
                drop(stream);
                continue;
            };
            let rt = (self.current)();
            tokio::spawn(async move {
                conn::drive(&rt, stream).await;
                drop(seat);
            });
        }
    }
}

/// A TCP or Unix stream.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

#[cfg(test)]
mod tests;
