//! The admin HTTP listener (`admin.listen`): `GET /metrics`, `GET /healthz`, `GET /readyz`
//! and `POST /reload`. It is meant for loopback or a cluster-internal network: it has no
//! authentication, and /reload only re-reads the file the server was started with.
//!
//! `/healthz` is a liveness probe, so a peer holding sockets open must not make it fail (a
//! failing probe restarts the pod). The accept loop never waits on a connection; each one
//! gets `HEADER_TIMEOUT` to send its request head, and the gate (`gate.rs`) closes idle
//! connections to make room for new ones rather than turning newcomers away.

pub mod gate;
pub mod http;
pub mod metrics;
pub mod probe;
pub mod routes;

use crate::inbound::server::Reloader;
use gate::{Admission, Gate, Limits, Ticket};
use http::Response;
use metrics::{Refusal, refused};
use probe::Probe;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Admin connections open at once: all peers, and one IP address. A few scrapers and the
/// kubelet need a handful; an idle connection beyond these makes room for the next one.
pub const LIMITS: Limits = Limits {
    total: 64,
    per_peer: 8,
};
/// Time a client gets to send its complete request head. curl, Prometheus and the kubelet
/// send it at once; a socket idle this long is closed (408).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
/// Time to answer a complete request and write the answer (a /readyz probe takes up to 5 s).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// After answering, unread request bytes (a body Moat does not read) are drained for at most
/// this long (and `LINGER_BYTES`), so that closing does not reset the connection before the
/// client has read the answer.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 64 * 1024;

pub struct Admin {
    listener: TcpListener,
    state: Arc<State>,
    gate: Arc<Gate>,
}

pub(crate) struct State {
    reloader: Reloader,
    /// The file `POST /reload` re-reads; `None`: the embedded default.
    config_path: Option<PathBuf>,
    probe: Arc<Probe>,
}

impl Admin {
    /// Binds the admin listener (so that a taken port fails the start, not later).
    pub async fn bind(
        addr: SocketAddr,
        reloader: Reloader,
        config_path: Option<PathBuf>,
    ) -> std::io::Result<Admin> {
        // Same IPv6 rule as the SMTP listeners (src/inbound/listener.rs); tokio's usual backlog.
        let listener = crate::inbound::listener::bind(addr, 128)?;
        let state = Arc::new(State {
            reloader,
            config_path,
            probe: Arc::default(),
        });
        let gate = Gate::new(LIMITS);
        Ok(Admin {
            listener,
            state,
            gate,
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves requests until the task is dropped. Only `accept` and the gate's bookkeeping
    /// run here: everything that waits on a client runs in the connection's own task.
    pub async fn run(self) {
        tracing::info!(address = %crate::logfield::or_unknown(self.local_addr()), "admin listening");
        loop {
            let (tcp, peer) = match self.listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let peer = peer.ip();
            match self.gate.admit(peer) {
                Ok((ticket, admission)) => {
                    if let Admission::Evicted(victim) = admission {
                        refused(Refusal::Evicted, victim);
                    }
                    let state = self.state.clone();
                    tokio::spawn(connection(state, tcp, peer, ticket));
                }
                Err(gate::Full) => {
                    refused(Refusal::Full, peer);
                    // Never waits: a full socket buffer just loses the courtesy answer.
                    let busy = Response::text(503, "too many admin requests, retry\n");
                    let _ = tcp.try_write(&busy.to_bytes());
                }
            }
        }
    }
}

/// One connection: read the head (evictable, `HEADER_TIMEOUT`), answer (`RESPONSE_TIMEOUT`),
/// close.
async fn connection(state: Arc<State>, mut tcp: TcpStream, peer: IpAddr, mut ticket: Ticket) {
    let head = tokio::select! {
        head = tokio::time::timeout(HEADER_TIMEOUT, read_head(&mut tcp)) => head,
        _ = &mut ticket.evicted => {
            let busy = Response::text(503, "closed to make room for other admin requests\n");
            let _ = tcp.try_write(&busy.to_bytes());
            return;
        }
    };
    let answer = async {
        let response = match head {
            Err(_elapsed) => {
                refused(Refusal::HeaderTimeout, peer);
                Response::text(408, "no complete request in time\n")
            }
            Ok(Err(io)) => return Err(io),
            Ok(Ok(Err(response))) => response,
            Ok(Ok(Ok(head))) => {
                if !ticket.serving() {
                    // Evicted between the last byte and here: the slot is gone, so go too.
                    return Err(std::io::ErrorKind::ConnectionAborted.into());
                }
                match http::parse(&head) {
                    Ok(request) => routes::route(&state, &request, peer).await,
                    Err(why) => Response::text(400, format!("{why}\n")),
                }
            }
        };
        tcp.write_all(&response.to_bytes()).await?;
        tcp.shutdown().await
    };
    if let Ok(Ok(())) = tokio::time::timeout(RESPONSE_TIMEOUT, answer).await {
        linger(&mut tcp).await;
    }
    drop(ticket);
}

/// Reads the request head; a head over `MAX_HEAD` gets a 431, an early close a 400.
async fn read_head(tcp: &mut TcpStream) -> std::io::Result<Result<Vec<u8>, Response>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(n) = http::head_len(&buf) {
            buf.truncate(n);
            return Ok(Ok(buf));
        }
        if buf.len() > http::MAX_HEAD {
            return Ok(Err(Response::text(431, "request head too large\n")));
        }
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Err(Response::text(400, "incomplete request\n")));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Drains what the client still sends (bounded) until it closes, so the kernel does not
/// answer unread bytes with a reset that could discard the response in flight.
async fn linger(tcp: &mut TcpStream) {
    let drain = async {
        let mut chunk = [0u8; 4096];
        let mut total = 0;
        while total < LINGER_BYTES {
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}
