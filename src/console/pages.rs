//! The router and the pages that change nothing: login, dashboard, list, one message, the
//! signed-link landing page. State changes are in `actions`.
//!
//! Every answer carries a strict Content-Security-Policy (no script at all, no remote
//! content, no framing, forms only to the console), `nosniff`, `no-referrer` and
//! `no-store`: a held message's HTML can neither run nor fetch, even if the sanitiser
//! missed something.

use super::index::Filter;
use super::session::{self, Role, Session};
use super::templates::{self, Frame};
use super::{Peer, State};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSS: &str = include_str!("templates/console.css");

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(super::actions::login))
        .route("/logout", post(super::actions::logout))
        .route("/quarantine", get(list))
        .route("/message/{id}", get(message))
        .route("/action", post(super::actions::act))
        .route("/digest", post(super::actions::digest_now))
        .route(
            "/r/{token}",
            get(link_page).post(super::actions::link_release),
        )
        .route("/static/console.css", get(css))
        .layer(axum::middleware::map_response(secure_headers))
        .layer(Extension(state))
}

async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (k, v) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// The request's live session, if its cookie names one.
pub fn session_of(state: &State, headers: &HeaderMap) -> Option<(String, Session)> {
    let cookie = headers.get(header::COOKIE)?.to_str().ok()?;
    let id = session::cookie_id(cookie)?;
    let s = state.sessions.get(id, Instant::now())?;
    Some((id.to_string(), s))
}

pub fn frame(s: &Session) -> Frame {
    Frame {
        user: s.user.clone(),
        admin: s.role == Role::Admin,
        csrf: s.csrf.clone(),
    }
}

pub fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console: template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn notice(status: StatusCode, s: Option<&Session>, title: &str, text: &str) -> Response {
    let mut r = page(templates::Notice {
        frame: s.map(frame),
        title: title.into(),
        text: text.into(),
    });
    *r.status_mut() = status;
    r
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn login_page() -> Response {
    page(templates::Login {
        error: String::new(),
        name: String::new(),
    })
}

async fn dashboard(Extension(state): Extension<Arc<State>>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers) {
        None => Redirect::to("/login").into_response(),
        Some((_, s)) if s.role != Role::Admin => Redirect::to("/quarantine").into_response(),
        Some((_, s)) => page(super::dashboard::build(&state, Some(frame(&s)))),
    }
}

/// `YYYY-MM-DD` → Unix seconds at 00:00 UTC (the day's end with `end`).
fn day(text: &str, end: bool) -> Option<u64> {
    let mut it = text.trim().splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    // Days from civil (H. Hinnant), the inverse of headers::civil_from_days.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let start = (days * 86_400) as u64;
    Some(if end { start + 86_399 } else { start })
}

async fn list(
    Extension(state): Extension<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, s)) = session_of(&state, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let lc = |k: &str| get(k).to_lowercase();
    let filter = Filter {
        text: lc("q"),
        sender: lc("sender"),
        recipient: lc("rcpt"),
        subject: lc("subject"),
        finding: get("finding"),
        min_score: get("min_score").parse().ok(),
        since: day(&get("since"), false),
        until: day(&get("until"), true),
        only_for: (s.role == Role::Recipient).then(|| s.user.clone()),
    };
    let size = state.current().config.console.page_size;
    let page_no: usize = get("page").parse().unwrap_or(1).max(1);
    let found = state.index.page(&filter, (page_no - 1) * size, size);
    let pages = found.total.div_ceil(size).max(1);
    let keys = [
        "q",
        "sender",
        "rcpt",
        "subject",
        "finding",
        "min_score",
        "since",
        "until",
    ];
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            keys.iter()
                .map(|k| (*k, get(k)))
                .filter(|(_, v)| !v.is_empty()),
        )
        .finish();
    page(templates::List {
        frame: Some(frame(&s)),
        rows: found.rows,
        total: found.total,
        page: page_no.min(pages),
        pages,
        q: get("q"),
        sender: get("sender"),
        rcpt: get("rcpt"),
        subject: get("subject"),
        finding: get("finding"),
        min_score: get("min_score"),
        since: get("since"),
        until: get("until"),
        query,
    })
}

/// Whether the session may see and act on the message with these recipients: an admin
/// always, a recipient only when addressed. Anything else is answered as "not found", so
/// that ids of others' mail cannot be probed.
pub fn may_see(s: &Session, rcpt_to: &[String]) -> bool {
    s.role == Role::Admin || rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(&s.user))
}

async fn message(
    Extension(state): Extension<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some((_, s)) = session_of(&state, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let store = state.store();
    let shown = tokio::task::spawn_blocking(move || store.show(&id)).await;
    let Ok(Ok((meta, raw))) = shown else {
        return notice(
            StatusCode::NOT_FOUND,
            Some(&s),
            "Not found",
            "No such held message.",
        );
    };
    if !may_see(&s, &meta.rcpt_to) {
        tracing::warn!(user = %s.user, id = %meta.id, "console: message of another recipient refused");
        return notice(
            StatusCode::NOT_FOUND,
            Some(&s),
            "Not found",
            "No such held message.",
        );
    }
    let findings = super::actions::findings(&state, &meta, &raw).await;
    let body = super::render::show(&raw);
    page(templates::Message {
        frame: Some(frame(&s)),
        time: templates::when(meta.time),
        score: format!("{:.2}", meta.score),
        findings,
        headers: body.headers,
        text: body.text,
        html: body.html,
        links: body.links,
        attachments: body.attachments,
        id: meta.id,
        reference: meta.reference,
        client_ip: meta.client_ip,
        helo: meta.helo,
        mail_from: meta.mail_from,
        rcpt_to: meta.rcpt_to,
        subject: meta.subject,
        tests: meta.tests,
    })
}

async fn link_page(
    Extension(state): Extension<Arc<State>>,
    Extension(_peer): Extension<Peer>,
    Path(token): Path<String>,
) -> Response {
    let link = match state
        .signer
        .check(&token, crate::rules::check::now_unix() as u64)
    {
        Ok(l) => l,
        Err(e) => return notice(StatusCode::FORBIDDEN, None, "Link refused", e.describe()),
    };
    let Some(row) = state.index.get(&link.id) else {
        return notice(
            StatusCode::NOT_FOUND,
            None,
            "Not found",
            "This message is no longer held.",
        );
    };
    page(templates::LinkPage {
        token,
        subject: row.meta.subject.clone(),
        mail_from: row.meta.mail_from.clone(),
        recipient: link.recipient,
    })
}

#[cfg(test)]
mod tests;
