//! What each admin endpoint answers, once a complete request head was read and parsed.

use super::State;
use super::http::{Request, Response};
use super::metrics::{Refusal, refused};
use super::probe::Health;
use std::net::IpAddr;

/// The header `POST /reload` must carry. A web page cannot make a browser send a custom
/// header to another site without the site's consent (a CORS preflight, which the admin
/// listener never grants), so a page cannot trigger a reload; curl and scripts add it freely.
pub const RELOAD_HEADER: &str = "x-moat-reload";

pub(crate) async fn route(state: &State, request: &Request, peer: IpAddr) -> Response {
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
        _ => match reload_refusal(request) {
            Some(why) => {
                refused(Refusal::ReloadForbidden, peer);
                Response::text(403, format!("reload refused: {why}\n"))
            }
            None => reload(state).await,
        },
    }
}

/// Why this `POST /reload` may have come from a web page rather than an operator; `None`
/// when it may reload. Browsers mark every POST with `Origin` (and recent ones with
/// `Sec-Fetch-*`), even same-origin ones, which also covers a page that rebinds its own DNS
/// name to the admin address; tools such as curl send neither.
pub fn reload_refusal(request: &Request) -> Option<&'static str> {
    let from_browser = request
        .headers
        .iter()
        .any(|(name, _)| name == "origin" || name.starts_with("sec-fetch-"));
    if from_browser {
        return Some(
            "requests from web browsers (Origin, Sec-Fetch-* headers) are not accepted; \
             send `X-Moat-Reload: 1` from a tool such as curl",
        );
    }
    match request.header(RELOAD_HEADER) {
        Some(v) if !v.is_empty() => None,
        _ => Some("send the header `X-Moat-Reload: 1` (curl -X POST -H 'X-Moat-Reload: 1' …)"),
    }
}

async fn metrics(state: &State) -> Response {
    // Keeps moat_backend_up current for alerting even when nothing polls /readyz, without
    // making the scrape wait for the backend (the value is at most one scrape old) — except
    // the first scrape, which waits for the first probe (bounded by its timeout) rather than
    // report a backend that answers as down.
    if state.probe.has_result() {
        state.probe.refresh(state.reloader.current());
    } else {
        state.probe.check(&state.reloader.current()).await;
    }
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

#[cfg(test)]
mod tests;
