//! Everything that changes state: log in and out, the message actions (single and bulk),
//! digests on demand, and a signed link's release. Each one needs a session and its CSRF
//! token, or a valid signed link; each is logged with who did it and the message's
//! reference id (target `moat::console::audit`).

use super::pages::{may_see, notice, page, session_of};
use super::session::{self, Role, Session};
use super::templates::{self, FindingView};
use super::{Peer, State};
use crate::bayes::model::Class;
use crate::store::quarantine::Meta;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the message page waits for a fresh explanation before showing stored ids only.
const EXPLAIN_TIMEOUT: Duration = Duration::from_secs(3);
/// Messages one bulk action handles at most.
const MAX_BULK: usize = 500;

/// A form body's fields, repeated keys kept (bulk actions send `id` many times).
fn fields(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(f: &'a [(String, String)], key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn audit(who: &str, role: &str, action: &str, id: &str, reference: &str, outcome: &str) {
    tracing::info!(target: "moat::console::audit", who, role, action, id, reference, outcome, "console action");
    super::metrics::action(action, outcome);
}

pub async fn login(
    Extension(state): Extension<Arc<State>>,
    Extension(Peer(peer)): Extension<Peer>,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let (name, password) = (
        field(&f, "name").trim().to_string(),
        field(&f, "password").to_string(),
    );
    let keys = vec![
        format!("ip:{}", peer.ip()),
        format!("name:{}", name.to_lowercase()),
    ];
    let now = Instant::now();
    let again = |status: StatusCode, error: &str| {
        let mut r = page(templates::Login {
            error: error.into(),
            name: name.clone(),
        });
        *r.status_mut() = status;
        r
    };
    if state.limit.locked(&keys, now) {
        super::metrics::login("locked");
        tracing::warn!(client = %peer.ip(), name = %name, "console: login refused, too many failures");
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins. Try again later.",
        );
    }
    let config = state.current().config.clone();
    let c = &config.console;
    let mut role = None;
    if let Some(path) = c.admins.clone() {
        let (n, p) = (name.clone(), password.clone());
        let ok = tokio::task::spawn_blocking(move || super::accounts::verify_file(&path, &n, &p))
            .await
            .unwrap_or(false);
        if ok {
            role = Some(Role::Admin);
        }
    }
    if role.is_none()
        && name.contains('@')
        && let Some(target) = &c.imap
    {
        match super::imap::login(target, c.imap_ca.as_deref(), &name, &password).await {
            Ok(true) => role = Some(Role::Recipient),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "console: IMAP login check failed"),
        }
    }
    let Some(role) = role else {
        state.limit.failed(&keys, now);
        super::metrics::login("failed");
        tracing::warn!(client = %peer.ip(), name = %name, "console: login failed");
        return again(StatusCode::UNAUTHORIZED, "Wrong name or password.");
    };
    state.limit.succeeded(&keys[1]);
    let user = if role == Role::Recipient {
        name.to_lowercase()
    } else {
        name
    };
    let target = if role == Role::Admin {
        "/"
    } else {
        "/quarantine"
    };
    audit(&user, role_name(&role), "login", "", "", "ok");
    super::metrics::login("ok");
    let id = state.sessions.create(user, role, now);
    (
        [(
            header::SET_COOKIE,
            session::set_cookie(&id, c.session_lifetime),
        )],
        Redirect::to(target),
    )
        .into_response()
}

fn role_name(r: &Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Recipient => "recipient",
        Role::Link => "link",
    }
}

/// A state-changing form as it arrived: its fields, and the session that sent it.
struct Form {
    fields: Vec<(String, String)>,
    id: String,
    session: Session,
}

/// The form of a state-changing request, if it comes from a session and carries that
/// session's CSRF token; else the refusal page (built once per refused request: its size
/// does not matter). Every state-changing handler but login starts here.
#[allow(clippy::result_large_err)]
fn checked(state: &State, headers: &HeaderMap, body: &Bytes) -> Result<Form, Response> {
    let fields = fields(body);
    let Some((id, session)) = session_of(state, headers) else {
        return Err(notice(
            StatusCode::FORBIDDEN,
            None,
            "Refused",
            "You are not logged in.",
        ));
    };
    if !session.csrf_ok(field(&fields, "csrf")) {
        tracing::warn!(user = %session.user, "console: state change without a valid CSRF token refused");
        return Err(notice(
            StatusCode::FORBIDDEN,
            Some(&session),
            "Refused",
            "This form has expired; reload the page and try again.",
        ));
    }
    Ok(Form {
        fields,
        id,
        session,
    })
}

pub async fn logout(
    Extension(state): Extension<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let Form { id, session: s, .. } = checked(&state, &headers, &body)?;
    state.sessions.remove(&id);
    audit(&s.user, role_name(&s.role), "logout", "", "", "ok");
    Ok((
        [(header::SET_COOKIE, session::set_cookie("", Duration::ZERO))],
        Redirect::to("/login"),
    )
        .into_response())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Act {
    Release,
    Delete,
    ReleaseHam,
    LearnSpam,
    AllowSender,
}

impl Act {
    fn parse(s: &str) -> Option<Act> {
        Some(match s {
            "release" => Act::Release,
            "delete" => Act::Delete,
            "release_ham" => Act::ReleaseHam,
            "learn_spam" => Act::LearnSpam,
            "allow_sender" => Act::AllowSender,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Act::Release => "release",
            Act::Delete => "delete",
            Act::ReleaseHam => "release_ham",
            Act::LearnSpam => "learn_spam",
            Act::AllowSender => "allow_sender",
        }
    }
    /// Recipients may release and delete their own mail; training the classifier and the
    /// allow list change everyone's filtering, so they are for admins.
    fn for_recipients(self) -> bool {
        matches!(self, Act::Release | Act::Delete)
    }
}

pub async fn act(
    Extension(state): Extension<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let Form {
        fields: f,
        session: s,
        ..
    } = checked(&state, &headers, &body)?;
    let Some(act) = Act::parse(field(&f, "action")) else {
        return Ok(notice(
            StatusCode::BAD_REQUEST,
            Some(&s),
            "Refused",
            "Unknown action.",
        ));
    };
    if s.role != Role::Admin && !act.for_recipients() {
        return Ok(notice(
            StatusCode::FORBIDDEN,
            Some(&s),
            "Refused",
            "Only an admin may do this.",
        ));
    }
    let ids: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.clone())
        .take(MAX_BULK)
        .collect();
    if ids.is_empty() {
        return Ok(notice(
            StatusCode::BAD_REQUEST,
            Some(&s),
            "Nothing selected",
            "Select at least one message.",
        ));
    }
    let mut done = 0;
    let mut failed = Vec::new();
    for id in &ids {
        match one(&state, &s, act, id).await {
            Ok(()) => done += 1,
            Err(e) => failed.push(format!("{id}: {e}")),
        }
    }
    let title = if failed.is_empty() {
        "Done"
    } else {
        "Partly done"
    };
    let mut text = format!("{}: {done} of {} message(s).", act.name(), ids.len());
    if !failed.is_empty() {
        text.push_str(&format!(" Not done: {}.", failed.join("; ")));
    }
    let status = if done == 0 && !failed.is_empty() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    Ok(notice(status, Some(&s), title, &text))
}

/// One action on one message, after its owner check.
async fn one(state: &State, s: &Session, act: Act, id: &str) -> Result<(), String> {
    let store = state.store();
    let meta = match store.meta(id) {
        Ok(m) if may_see(s, &m.rcpt_to) => m,
        Ok(_) => {
            tracing::warn!(user = %s.user, %id, "console: action on another recipient's message refused");
            audit(
                &s.user,
                role_name(&s.role),
                act.name(),
                id,
                "",
                "refused_not_owner",
            );
            return Err("not found".into());
        }
        Err(_) => return Err("not found".into()),
    };
    let result = run(state, act, &meta).await;
    audit(
        &s.user,
        role_name(&s.role),
        act.name(),
        id,
        &meta.reference,
        if result.is_ok() { "ok" } else { "failed" },
    );
    if let Err(e) = &result {
        tracing::warn!(user = %s.user, %id, error = %e, "console action failed");
    }
    result
}

async fn run(state: &State, act: Act, meta: &Meta) -> Result<(), String> {
    let config = state.current().config.clone();
    let id = meta.id.clone();
    match act {
        Act::Release | Act::ReleaseHam => {
            let released = crate::store::release::release(&config, &id)
                .await
                .map_err(|e| e.to_string())?;
            state.index.remove(&id);
            if act == Act::ReleaseHam {
                let c = config.clone();
                tokio::task::spawn_blocking(move || {
                    crate::bayes::command::learn_one_ham(&c, &released.message)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("released; learning failed: {e:#}"))?;
            }
            Ok(())
        }
        Act::Delete => {
            state.store().delete(&id).map_err(|e| e.to_string())?;
            state.index.remove(&id);
            Ok(())
        }
        Act::LearnSpam => {
            let (_, raw) = state.store().show(&id).map_err(|e| e.to_string())?;
            tokio::task::spawn_blocking(move || learn_spam(&config, &raw))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("{e:#}"))
        }
        Act::AllowSender => allow_sender(&config, &meta.mail_from),
    }
}

fn learn_spam(config: &crate::config::Config, raw: &[u8]) -> anyhow::Result<()> {
    let mut target = crate::bayes::shared::Target::for_learn(config, None)?;
    let mut model = target.open()?;
    crate::bayes::learn::learn_one(&mut model, raw, Class::Spam);
    target.save(&model)?;
    Ok(())
}

/// Appends the sender to `console.allow_list_file`, which `lists.allow.senders` names: the
/// file watch reloads the lists.
fn allow_sender(config: &crate::config::Config, sender: &str) -> Result<(), String> {
    use std::io::Write;
    let Some(path) = &config.console.allow_list_file else {
        return Err("console.allow_list_file is not configured".into());
    };
    let sender = sender.trim().trim_matches(['<', '>']);
    if sender.is_empty() || sender.contains(['\n', '\r', '#', ' ']) {
        return Err("no sender address to allow".into());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{sender}").and_then(|()| f.sync_all()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub async fn digest_now(
    Extension(state): Extension<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let Form { session: s, .. } = checked(&state, &headers, &body)?;
    if s.role != Role::Admin {
        return Ok(notice(
            StatusCode::FORBIDDEN,
            Some(&s),
            "Refused",
            "Only an admin may do this.",
        ));
    }
    let sent = super::digest::send_all(&state).await;
    audit(&s.user, "admin", "digest", "", "", &format!("sent={sent}"));
    Ok(notice(
        StatusCode::OK,
        Some(&s),
        "Digests",
        &format!("{sent} digest(s) sent."),
    ))
}

/// A signed link's release: no session, the link is the authority — for its one message
/// and its one recipient, once, before it expires.
pub async fn link_release(
    Extension(state): Extension<Arc<State>>,
    Path(token): Path<String>,
) -> Response {
    let now = crate::rules::check::now_unix() as u64;
    let link = match state.signer.check(&token, now) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(reason = e.describe(), "console: signed link refused");
            return notice(StatusCode::FORBIDDEN, None, "Link refused", e.describe());
        }
    };
    if !state.signer.consume(&link, now) {
        return notice(
            StatusCode::FORBIDDEN,
            None,
            "Link refused",
            "this link was already used",
        );
    }
    let link_session = Session::for_link(&link.recipient);
    match one(&state, &link_session, Act::Release, &link.id).await {
        Ok(()) => notice(
            StatusCode::OK,
            None,
            "Released",
            "The message was delivered to your mailbox.",
        ),
        Err(e) => notice(StatusCode::NOT_FOUND, None, "Not released", &e),
    }
}

/// Every finding with its score and reason: the message judged again as `scan --explain`
/// does (bounded in time), else the ids stored when it was held.
pub async fn findings(state: &State, meta: &Meta, raw: &[u8]) -> Vec<FindingView> {
    let rt = state.current();
    let envelope = crate::cli::scan::EnvelopeOverride {
        client_ip: meta.client_ip.parse().ok(),
        helo: Some(meta.helo.clone()),
        mail_from: Some(meta.mail_from.clone()),
    };
    let judged = tokio::time::timeout(
        EXPLAIN_TIMEOUT,
        crate::cli::scan::scan_one(&rt, raw.to_vec(), &envelope),
    )
    .await;
    match judged {
        Ok(v) if !v.findings.is_empty() => v
            .findings
            .iter()
            .map(|f| FindingView {
                id: f.id.clone(),
                score: format!("{:.2}", f.score),
                reason: f.reason.clone(),
            })
            .collect(),
        _ => meta
            .tests
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| FindingView {
                id: t.to_string(),
                score: String::new(),
                reason: "(recorded when the message was held)".into(),
            })
            .collect(),
    }
}
