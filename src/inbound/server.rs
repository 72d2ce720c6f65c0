//! Listeners, the accept loop, connection limits and graceful shutdown.
//!
//! `Server::run` takes the shutdown signal as a future, so tests run the real server on port 0
//! and stop it at will. Every connection holds a seat in the connection table
//! (`crate::inbound::slots`): a permit of the global limit and a slot of its client address and
//! network. Over a limit the client gets `421 4.7.0` at once, never a hanging accept; when
//! the table is nearly full, idle sessions are shed to make room.

use crate::config::{BackendTarget, Config};
use crate::inbound::conn::Conn;
use crate::inbound::slots::Table;
use crate::runtime::Runtime;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The configuration, or something it names (a TLS file, a rule file), is wrong.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigErrors),
}

pub struct Server {
    /// The runtime new sessions start with; replaced whole by a reload.
    current: Reloader,
    listeners: Vec<TcpListener>,
    /// Per listener: its connections start with a PROXY protocol header.
    proxied: Vec<bool>,
}

/// Swaps in a new configuration, all or nothing. Sessions already running keep the runtime
/// they started with; new sessions get the new one. Cheap to clone.
#[derive(Clone)]
pub struct Reloader {
    tx: Arc<watch::Sender<Arc<Runtime>>>,
    /// `moat serve --listen/--admin`: applied to every configuration reloaded, as at start.
    overrides: Arc<crate::config::overrides::Overrides>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigErrors),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl Reloader {
    /// The runtime new sessions get now.
    pub fn current(&self) -> Arc<Runtime> {
        self.tx.borrow().clone()
    }

    /// Builds everything a new configuration needs (TLS files, backend, checks) before it
    /// replaces the running one; on any error the running one stays and the error says why.
    /// The listeners and their connection limits (SMTP, admin, scan API, milter) are bound at
    /// start and need a restart.
    pub fn reload(&self, mut config: Config) -> Result<(), ReloadError> {
        self.overrides.apply(&mut config);
        self.warn_restart_only(&config);
        self.install(Runtime::build(config, Some(&self.current()))?);
        Ok(())
    }

    /// Says which changed settings wait for a restart.
    fn warn_restart_only(&self, config: &Config) {
        let old = self.current();
        if config.listen != old.config.listen {
            tracing::warn!("listen addresses changed: they take effect after a restart");
        }
        if config.limits.max_connections != old.config.limits.max_connections {
            tracing::warn!("limits.max_connections changed: it takes effect after a restart");
        }
        if config.admin != old.config.admin {
            tracing::warn!("admin.listen changed: it takes effect after a restart");
        }
        // The doors are bound once with their seat count (daemon.rs `spawn_doors`); the
        // rest of their sections (timeouts, body limits, quarantine mode) apply per request.
        let doors = [
            (
                "scan_api.listen",
                config.scan_api.listen != old.config.scan_api.listen,
            ),
            (
                "scan_api.max_connections",
                config.scan_api.max_connections != old.config.scan_api.max_connections,
            ),
            (
                "milter.listen",
                config.milter.listen != old.config.milter.listen,
            ),
            (
                "milter.max_connections",
                config.milter.max_connections != old.config.milter.max_connections,
            ),
        ];
        for (key, changed) in doors {
            if changed {
                tracing::warn!("{key} changed: it takes effect after a restart");
            }
        }
    }

    /// Puts a runtime built from a new configuration in place for new sessions.
    fn install(&self, mut runtime: Runtime) {
        let old = self.current();
        runtime.carry_state_over(&old);
        let runtime = Arc::new(runtime);
        let origin = runtime.config.origin.clone();
        self.tx.send_replace(runtime);
        // Logged once new sessions get the new runtime: tests (and operators) take this line
        // as the signal that the reload is in effect.
        tracing::info!(config = %origin, "configuration reloaded");
    }

    /// Reads `path` (`None`: the embedded default) and reloads it: what SIGHUP and
    /// `POST /reload` both do. Failures are logged here and leave the running config.
    pub fn reload_from(&self, path: Option<&std::path::Path>) -> Result<(), ReloadError> {
        // The same function as `moat serve` at start and `moat check-config`.
        let current = self.current();
        let loaded = &mut |config: &mut Config| {
            self.overrides.apply(config);
            self.warn_restart_only(config)
        };
        let result = crate::runtime::prepare::prepare(path, Some(&current), loaded)
            .map(|runtime| self.install(runtime))
            .map_err(ReloadError::from);
        if let Err(e) = &result {
            tracing::error!(error = %e, "reload failed; the running configuration stays in place");
        }
        crate::metrics::config_reload(result.is_ok());
        result
    }
}

impl Server {
    /// Binds every configured listener (so errors come before anything runs).
    pub async fn bind(config: Config) -> Result<Server, ServerError> {
        Server::bind_runtime(Runtime::new(config)?).await
    }

    /// Binds the listeners of a runtime already built (by `crate::runtime::prepare`).
    pub async fn bind_runtime(rt: Runtime) -> Result<Server, ServerError> {
        let rt = Arc::new(rt);
        let mut listeners = Vec::new();
        let proxied = rt
            .config
            .listen
            .iter()
            .map(|a| rt.config.proxy.listen.contains(a))
            .collect();
        for &addr in &rt.config.listen {
            let l = crate::inbound::listener::bind(addr, rt.config.limits.listen_backlog)
                .map_err(|source| ServerError::Bind { addr, source })?;
            listeners.push(l);
        }
        let (tx, _) = watch::channel(rt);
        let current = Reloader {
            tx: Arc::new(tx),
            overrides: Default::default(),
        };
        Ok(Server {
            current,
            listeners,
            proxied,
        })
    }

    /// Keeps `moat serve`'s `--listen`/`--admin` for every reload (the runtime it was bound
    /// with has them applied already). Before `reloader()` is first called.
    pub fn with_overrides(mut self, overrides: crate::config::overrides::Overrides) -> Server {
        self.current.overrides = Arc::new(overrides);
        self
    }

    /// A handle that reloads the configuration of this server while it runs.
    pub fn reloader(&self) -> Reloader {
        self.current.clone()
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` completes, then stops accepting, answers 421 to idle sessions
    /// and gives sessions receiving or relaying a message `shutdown_grace` to finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let rt = self.current.current();
        let limits = &rt.config.limits;
        let table = Table::new(limits.max_connections);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut accept_tasks = Vec::new();
        for (listener, proxied) in self.listeners.into_iter().zip(self.proxied) {
            let addr = crate::logfield::or_unknown(listener.local_addr().ok());
            tracing::info!(address = %addr, proxy_protocol = proxied, hostname = %rt.config.hostname, backend = %describe(&rt.config.backend.target), "listening");
            accept_tasks.push(tokio::spawn(accept_loop(
                listener,
                self.current.clone(),
                table.clone(),
                stop_rx.clone(),
                proxied,
            )));
        }
        shutdown.await;
        tracing::info!(grace = ?rt.config.shutdown_grace, "shutting down: no new connections");
        for t in &accept_tasks {
            t.abort();
        }
        let _ = stop_tx.send(true);
        // Every running session holds a seat: all seats back means all sessions ended.
        if table.all_closed(rt.config.shutdown_grace).await {
            tracing::info!("all sessions finished");
        } else {
            tracing::warn!(
                still_open = table.open(),
                "grace period over; closing remaining sessions"
            );
        }
    }
}

fn describe(target: &BackendTarget) -> String {
    match target {
        BackendTarget::Maildir { path } => format!("maildir:{}", path.display()),
        BackendTarget::Smtp { address } => format!("smtp:{address}"),
        BackendTarget::Lmtp { address } => format!("lmtp:{address}"),
    }
}

async fn accept_loop(
    listener: TcpListener,
    current: Reloader,
    table: Arc<Table>,
    stop: watch::Receiver<bool>,
    proxied: bool,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        // Each session keeps the runtime it started with, across reloads.
        let rt = current.current();
        let admission = Admission {
            table: table.clone(),
            stop: stop.clone(),
        };
        tokio::spawn(async move {
            if !proxied {
                return admission.admit(rt, tcp, peer, Vec::new()).await;
            }
            // The real client is known only after the header: limits apply to it, not to
            // the balancer's address.
            let mut tcp = tcp;
            match crate::inbound::proxy::read_header(&mut tcp, rt.config.proxy.timeout).await {
                Ok((source, early)) => {
                    admission
                        .admit(rt, tcp, source.unwrap_or(peer), early)
                        .await
                }
                Err(why) => {
                    tracing::info!(balancer = %peer, error = %why, "connection refused: no valid PROXY header");
                    crate::metrics::connection("refused", "proxy_header");
                }
            }
        });
    }
}

/// What admitting a connection needs: the connection table and the stop signal.
struct Admission {
    table: Arc<Table>,
    stop: watch::Receiver<bool>,
}

impl Admission {
    /// Runs a session for `peer` (the client), or answers 421 when a limit is reached.
    /// `early` is what a PROXY-protocol balancer passed along behind its header.
    async fn admit(self, rt: Arc<Runtime>, tcp: TcpStream, peer: SocketAddr, early: Vec<u8>) {
        // An IPv4 client is the same client whether it arrives on an IPv4 socket, as
        // `::ffff:a.b.c.d` on a dual-stack one, or named so in a PROXY header: every limit,
        // list, DNSBL query, SPF/iprev check, header and log line sees the IPv4 address.
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        match self.table.admit(peer.ip(), &rt.config.limits).await {
            Ok(mut seat) => {
                crate::metrics::connection("accepted", "ok");
                let mut conn = Conn::new(rt.clone(), tcp, peer, self.stop.clone());
                conn.early_input(&early);
                conn.sheddable(seat.take_watch());
                let _open = crate::metrics::OpenConnection::new();
                // Boxed: the session's future stays out of this task's own.
                Box::pin(conn.run()).await;
                drop(seat);
            }
            Err(refusal) => {
                let reason = refusal.as_str();
                tracing::info!(client = %peer.ip(), limit = reason, "connection refused: too many connections");
                crate::metrics::connection("refused", reason);
                refuse(tcp).await;
            }
        }
    }
}

/// `421` to a connection over a limit, with a short write timeout so it cannot linger.
async fn refuse(mut tcp: TcpStream) {
    let reply = b"421 4.7.0 Too many connections, try again later\r\n";
    let write = async {
        tcp.write_all(reply).await?;
        tcp.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), write).await;
}

#[cfg(test)]
mod tests;
