//! Moat in-process: the real server (`moat::inbound::server::Server`) bound on the configuration's
//! addresses — `127.0.0.1:0` in tests, so the kernel picks the ports — and run on the
//! caller's tokio runtime until stopped or dropped. For tests that need no process boundary:
//! they can reach the runtime's internals and start in milliseconds.

use super::moat::Log;
use moat::config::Config;
use moat::inbound::server::Server;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// A running in-process Moat. Dropping it stops the server (gracefully: a shutdown begins).
pub struct InProcess {
    /// The first SMTP listener.
    pub addr: SocketAddr,
    /// Every SMTP listener, in `listen` order.
    pub addrs: Vec<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Completes when the server has stopped (after `stop` and the shutdown grace).
    pub done: tokio::task::JoinHandle<()>,
}

impl InProcess {
    /// Binds every listener of `config` and starts serving on the current runtime; returns
    /// once the sockets are bound (connections queue until the accept loops run).
    pub async fn start(config: Config) -> InProcess {
        let server = Server::bind(config)
            .await
            .expect("bind the in-process server");
        let addrs = server.local_addrs();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        InProcess {
            addr: addrs[0],
            addrs,
            stop: Some(stop),
            done,
        }
    }

    /// As `start`, from a blocking test: the server runs on `rt`.
    pub fn start_on(rt: &tokio::runtime::Runtime, config: Config) -> InProcess {
        rt.block_on(InProcess::start(config))
    }

    /// Begins a graceful shutdown (what SIGTERM does to `moat serve`).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Moat's log in this process (every in-process server's, info and above, as text lines):
/// the first call installs the process's tracing subscriber; later calls return the same
/// log. Tests wait on it as on a spawned Moat's stderr (`Log::wait_for`).
pub fn log() -> Arc<Log> {
    static LOG: OnceLock<Arc<Log>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Log::default());
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");
        log
    })
    .clone()
}

/// One log event's writer: appends what the formatter writes to the shared log.
struct Writer(Arc<Log>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
