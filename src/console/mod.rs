//! The web console (issue 21, docs/console.md): the quarantine for admins and for the mail's
//! own recipients, a dashboard from Moat's counters, and digests with signed release links.
//!
//! Its own listener (`console.listen`), plain HTTP or TLS with `console.tls` (re-read at every
//! reload, like STARTTLS's certificate). Each connection is one hyper HTTP/1 connection
//! serving the axum router of `pages`; a semaphore bounds connections.

pub mod accounts;
mod actions;
pub mod command;
mod dashboard;
pub mod digest;
pub mod imap;
pub mod index;
pub mod links;
pub mod metrics;
mod pages;
/// The console's router, for the bench (`benches/console.rs`) and embedding.
pub use pages::router;
pub mod random;
pub mod render;
pub mod session;
mod templates;

use crate::runtime::Runtime;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// The runtime current at each request's start (reloads swap it), as for the scan API.
pub type Current = Arc<dyn Fn() -> Arc<Runtime> + Send + Sync>;

/// Time for a client to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the quarantine index looks for new and removed entries.
const INDEX_EVERY: Duration = Duration::from_secs(2);

/// What every request of the console shares.
pub struct State {
    pub current: Current,
    pub sessions: session::Sessions,
    pub limit: session::LoginLimit,
    pub signer: links::Signer,
    pub index: index::Index,
    /// The TLS acceptor and the runtime it was built for: rebuilt after a reload.
    tls: Mutex<Option<(usize, tokio_rustls::TlsAcceptor)>>,
}

impl State {
    pub fn new(current: Current) -> anyhow::Result<State> {
        let config = current().config.clone();
        let c = &config.console;
        let secret = match &c.secret_file {
            Some(path) => {
                let s = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("console.secret_file {}: {e}", path.display()))?;
                anyhow::ensure!(
                    s.len() >= 32,
                    "console.secret_file {}: needs at least 32 bytes of secret",
                    path.display()
                );
                s
            }
            None => {
                let mut s = vec![0u8; 32];
                random::fill(&mut s);
                s
            }
        };
        Ok(State {
            sessions: session::Sessions::new(c.session_lifetime),
            limit: session::LoginLimit::new(c.login_failures, c.login_lockout),
            signer: links::Signer::new(&secret),
            index: index::Index::default(),
            tls: Mutex::new(None),
            current,
        })
    }

    pub fn store(&self) -> crate::store::quarantine::Store {
        crate::store::quarantine::Store::new(&self.current().config.policy.quarantine)
    }

    pub fn current(&self) -> Arc<Runtime> {
        (self.current)()
    }

    /// The acceptor for the current configuration's `console.tls`, if any; built once per
    /// runtime, so a reload with a renewed certificate takes effect for new connections.
    fn acceptor(&self) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
        let rt = self.current();
        let Some(files) = rt.config.console.tls.clone() else {
            return Ok(None);
        };
        let key = Arc::as_ptr(&rt) as usize;
        let mut cached = self.tls.lock().expect("tls lock");
        if let Some((k, a)) = cached.as_ref().filter(|(k, _)| *k == key) {
            let _ = k;
            return Ok(Some(a.clone()));
        }
        let a = crate::inbound::tls::acceptor(&files)?;
        *cached = Some((key, a.clone()));
        Ok(Some(a))
    }
}

pub struct Console {
    listener: TcpListener,
    state: Arc<State>,
}

impl Console {
    pub async fn bind(addr: SocketAddr, current: Current) -> anyhow::Result<Console> {
        let state = Arc::new(State::new(current)?);
        // The first index is built before the listener answers, so a page never shows an
        // empty quarantine that is not.
        let s = state.clone();
        let n = tokio::task::spawn_blocking(move || s.index.refresh(&s.store())).await?;
        tracing::info!(held = n, "console: quarantine index built");
        state.acceptor()?;
        let listener = TcpListener::bind(addr).await?;
        Ok(Console { listener, state })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub async fn run(self) {
        let state = self.state;
        tokio::spawn(keep_index(state.clone()));
        tokio::spawn(digest::schedule(state.clone()));
        let router = pages::router(state.clone());
        let max = state.current().config.console.max_connections;
        let slots = Arc::new(tokio::sync::Semaphore::new(max));
        loop {
            let Ok((tcp, peer)) = self.listener.accept().await else {
                continue;
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                drop(tcp); // full: the client retries; no queue grows here
                continue;
            };
            let (router, state) = (router.clone(), state.clone());
            tokio::spawn(async move {
                let _permit = permit;
                serve_connection(tcp, peer, router, &state).await;
            });
        }
    }
}

/// The peer address, given to handlers for the login rate limit and the action log.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    router: axum::Router,
    state: &State,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(Peer(peer));
            router.clone().call(req.map(axum::body::Body::new))
        });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    let acceptor = match state.acceptor() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "console: TLS files unusable; connection closed");
            return;
        }
    };
    let result = match acceptor {
        Some(acceptor) => match tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => http.serve_connection(TokioIo::new(tls), service).await,
            _ => return,
        },
        None => http.serve_connection(TokioIo::new(tcp), service).await,
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "console connection ended");
    }
}

async fn keep_index(state: Arc<State>) {
    loop {
        tokio::time::sleep(INDEX_EVERY).await;
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || s.index.refresh(&s.store())).await;
    }
}

/// `moat console passwd NAME`: the accounts-file line for NAME with the password read from
/// stdin (first line).
pub fn passwd_line(name: &str, password: &str) -> Result<String, String> {
    if name.is_empty() || name.contains([':', '\n', '\r', ' ']) || name.contains('@') {
        return Err("a name without ':', '@' or spaces".into());
    }
    if password.chars().count() < 8 {
        return Err("a password of at least 8 characters".into());
    }
    Ok(format!("{name}:{}", accounts::hash(password)))
}
