//! `moat serve` as a process: logging, the async runtime, the listeners, the admin listener,
//! the file watch, SIGHUP reloads and SIGTERM/SIGINT shutdown. `main` parses arguments and
//! calls `serve`.

use crate::admin::Admin;
use crate::config::overrides::Overrides;
use crate::config::{Config, LogFormat};
use crate::inbound::server::{Reloader, Server};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Reload on change: the file watch is part of the process, like signals.
mod doors;
mod watch;

/// Logs to stderr as configured (`log.format`, `log.level`; `RUST_LOG` overrides the level).
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}

/// `moat serve`: builds the runtime (inside the async runtime, where the classifier's model
/// poller can start) with the same function as reloads and check-config, then serves.
pub fn serve(path: Option<PathBuf>, overrides: Overrides) -> ExitCode {
    let tokio = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("moat: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio.block_on(async {
        let loaded = &mut |c: &mut Config| {
            overrides.apply(c);
            init_logging(c)
        };
        let runtime = match crate::runtime::prepare::prepare(path.as_deref(), None, loaded) {
            Ok(rt) => rt,
            Err(errors) => {
                eprint!("{errors}");
                return ExitCode::FAILURE;
            }
        };
        match run(runtime, path, overrides.clone()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                eprintln!("moat: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Binds the listeners and serves until SIGTERM or SIGINT.
async fn run(
    runtime: crate::runtime::Runtime,
    path: Option<PathBuf>,
    overrides: Overrides,
) -> anyhow::Result<()> {
    tracing::info!(config = %runtime.config.origin, version = env!("CARGO_PKG_VERSION"), "moat starting");
    let admin = runtime.config.admin.listen;
    // Installed before the listeners exist, so a SIGHUP can never hit the default action
    // (terminate) once clients can connect.
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    // Likewise SIGTERM and SIGINT, before the addresses are reported: a supervisor (or a
    // test) that stops Moat right after it reported must get a graceful stop, even when
    // this thread was descheduled before `Server::run` began waiting for the signal.
    let stop = shutdown_signal()?;
    let server = Server::bind_runtime(runtime)
        .await?
        .with_overrides(overrides);
    let bound = server.local_addrs();
    let mut admin_bound = None;
    if let Some(addr) = admin {
        let admin = Admin::bind(addr, server.reloader(), path.clone())
            .await
            .with_context(|| format!("cannot listen on admin.listen {addr}"))?;
        admin_bound = admin.local_addr();
        tokio::spawn(admin.run());
    }
    let reloader = server.reloader();
    let doors = doors::spawn(Arc::new(move || reloader.current()))?;
    let console = spawn_console(&server).await?;
    // Autolearn's queue and flush task (idle unless `bayes.autolearn.enabled`; a reload
    // may turn it on).
    let learning: crate::bayes::autolearn::flush::Current = {
        let reloader = server.reloader();
        Arc::new(move || reloader.current())
    };
    crate::bayes::autolearn::start(learning.clone());
    watch::spawn(server.reloader(), path.clone());
    tokio::spawn(reload_on_sighup(server.reloader(), path, hup));
    // Every socket is listening (the kernel queues connections until the accept loops run)
    // and reloads are armed: from here a supervisor or a test may connect, edit, signal.
    report_addresses(&Bound {
        smtp: bound,
        admin: admin_bound,
        scan_api: doors.scan_api,
        milter: doors.milter,
        console,
    });
    // The doors stop accepting with the SMTP listeners and drain alongside their sessions,
    // within the same grace counted from the signal.
    let grace = server.reloader().current().config.shutdown_grace;
    let stopped = Arc::new(std::sync::OnceLock::new());
    let stopping = {
        let (doors, stopped) = (&doors, stopped.clone());
        async move {
            stop.await;
            let _ = stopped.set(tokio::time::Instant::now());
            doors.stop_accepting();
        }
    };
    server.run(stopping).await;
    let deadline = stopped
        .get()
        .map_or_else(tokio::time::Instant::now, |at| *at + grace);
    doors
        .drained(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await;
    // What autolearn queued is saved within what is left of the grace, or dropped (logged).
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    crate::bayes::autolearn::flush::shutdown(&learning, left).await;
    Ok(())
}

/// The TCP addresses every listener bound, with the ports the kernel chose for `:0`.
#[derive(Default)]
struct Bound {
    smtp: Vec<std::net::SocketAddr>,
    admin: Option<std::net::SocketAddr>,
    scan_api: Option<std::net::SocketAddr>,
    /// None for a Unix-socket milter (its path is in the configuration).
    milter: Option<std::net::SocketAddr>,
    console: Option<std::net::SocketAddr>,
}

/// With `MOAT_REPORT_ADDRESSES=1`, prints one line to stdout once every listener is bound:
/// `moat ready smtp=ADDR… [admin=ADDR] [scan_api=ADDR] [milter=ADDR] [console=ADDR]`. This lets a supervisor
/// (and Moat's tests) listen on port 0 and learn the real addresses without guessing a free
/// port (which another process may take first) or polling until one answers.
fn report_addresses(bound: &Bound) {
    use std::io::Write;
    if !std::env::var("MOAT_REPORT_ADDRESSES").is_ok_and(|v| v == "1") {
        return;
    }
    let mut line = String::from("moat ready");
    for addr in &bound.smtp {
        line.push_str(&format!(" smtp={addr}"));
    }
    for (key, addr) in [
        ("admin", bound.admin),
        ("scan_api", bound.scan_api),
        ("milter", bound.milter),
        ("console", bound.console),
    ] {
        if let Some(addr) = addr {
            line.push_str(&format!(" {key}={addr}"));
        }
    }
    let mut out = std::io::stdout().lock();
    // A closed stdout only loses the report; serving goes on.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// The web console (issue 21), when `console.listen` is set: bound now, so that a taken port
/// fails the start. Its address is logged (`console listening on ADDR`) before `moat ready`.
async fn spawn_console(server: &Server) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let reloader = server.reloader();
    let current: crate::console::Current = std::sync::Arc::new(move || reloader.current());
    let Some(addr) = current().config.console.listen else {
        return Ok(None);
    };
    let console = crate::console::Console::bind(addr, current)
        .await
        .with_context(|| format!("cannot listen on console.listen {addr}"))?;
    if let Some(bound) = console.local_addr() {
        tracing::info!(%bound, "console listening on {bound}");
    }
    let bound = console.local_addr();
    tokio::spawn(console.run());
    Ok(bound)
}

/// SIGHUP re-reads the configuration file; a broken one leaves the running one in place.
async fn reload_on_sighup(
    reloader: Reloader,
    path: Option<PathBuf>,
    mut hup: tokio::signal::unix::Signal,
) {
    while hup.recv().await.is_some() {
        tracing::info!("SIGHUP received: reloading configuration");
        // Logs and counts its own failure; the running configuration stays in place.
        let _ = reloader.reload_from(path.as_deref());
    }
}

/// Installs the SIGTERM and SIGINT handlers now; the future completes on either signal.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    })
}
