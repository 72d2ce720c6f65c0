//! The admin HTTP listener (`admin.listen`): `GET /metrics`, `GET /healthz`, `GET /readyz`
//! and `POST /reload`. It is meant for loopback or a cluster-internal network: it has no
//! authentication, and /reload only re-reads the file the server was started with.

pub mod http;
pub mod probe;

use crate::server::Reloader;
use http::{Request, Response};
use probe::{Health, Probe};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Admin requests served at once; more are closed at once (scrapers retry).
const MAX_CONNECTIONS: usize = 16;
/// Time a client gets to send its request and read the answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Admin {
    listener: TcpListener,
    state: Arc<State>,
}

struct State {
    reloader: Reloader,
    /// The file `POST /reload` re-reads; `None`: the embedded default.
    config_path: Option<PathBuf>,
    probe: Arc<Probe>,
    slots: Arc<Semaphore>,
}

impl Admin {
    /// Binds the admin listener (so that a taken port fails the start, not later).
    pub async fn bind(
        addr: SocketAddr,
        reloader: Reloader,
        config_path: Option<PathBuf>,
    ) -> std::io::Result<Admin> {
        let listener = TcpListener::bind(addr).await?;
        let state = Arc::new(State {
            reloader,
            config_path,
            probe: Arc::default(),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        });
        Ok(Admin { listener, state })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves requests until the task is dropped.
    pub async fn run(self) {
        tracing::info!(address = ?self.local_addr(), "admin listening");
        loop {
            let (tcp, _) = match self.listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = self.state.slots.clone().try_acquire_owned() else {
                continue; // dropping `tcp` closes it
            };
            let state = self.state.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(REQUEST_TIMEOUT, serve(&state, tcp)).await;
                drop(permit);
            });
        }
    }
}

async fn serve(state: &State, mut tcp: TcpStream) -> std::io::Result<()> {
    let response = match read_head(&mut tcp).await? {
        Ok(head) => match http::parse(&head) {
            Ok(request) => route(state, &request).await,
            Err(why) => Response::text(400, format!("{why}\n")),
        },
        Err(response) => response,
    };
    tcp.write_all(&response.to_bytes()).await?;
    tcp.shutdown().await
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

async fn route(state: &State, request: &Request) -> Response {
    let allowed = match request.path.as_str() {
        "/metrics" | "/healthz" | "/readyz" => "GET",
        "/reload" => "POST",
        _ => return Response::text(404, "not found: try /metrics, /healthz, /readyz\n"),
    };
    if request.method != allowed {
        let mut r = Response::text(405, format!("use {allowed}\n"));
        r.headers.push(format!("Allow: {allowed}"));
        return r;
    }
    match request.path.as_str() {
        "/metrics" => metrics(state).await,
        "/healthz" => Response::text(200, "ok\n"),
        "/readyz" => ready(state).await,
        _ => reload(state).await,
    }
}

async fn metrics(state: &State) -> Response {
    // Keeps moat_backend_up current for alerting even when nothing polls /readyz, without
    // making the scrape wait for the backend (the value is at most one scrape old).
    state.probe.refresh(state.reloader.current());
    Response {
        status: 200,
        content_type: "text/plain; version=0.0.4; charset=utf-8",
        body: crate::metrics::get().render(),
        headers: Vec::new(),
    }
}

/// Ready = a configuration is loaded (always true once serving) and the backend answers.
async fn ready(state: &State) -> Response {
    match state.probe.check(&state.reloader.current()).await {
        Health::Up => Response::text(200, "ready\n"),
        Health::Down(why) => Response::text(503, format!("not ready: {why}\n")),
    }
}

/// The same all-or-nothing reload as SIGHUP.
async fn reload(state: &State) -> Response {
    tracing::info!("reload requested on the admin listener");
    let reloader = state.reloader.clone();
    let path = state.config_path.clone();
    let result = tokio::task::spawn_blocking(move || reloader.reload_from(path.as_deref())).await;
    match result {
        Ok(Ok(())) => Response::text(200, "configuration reloaded\n"),
        Ok(Err(e)) => Response::text(
            500,
            format!("reload failed; the running configuration stays in place:\n{e}\n"),
        ),
        Err(e) => Response::text(500, format!("reload failed: {e}\n")),
    }
}
