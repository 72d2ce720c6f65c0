//! The rspamd-compatible HTTP scan API (`scan_api.listen`): `POST /checkv2` (and `/check`,
//! `/symbols`) judge a message with Moat's pipeline and answer in rspamd's JSON shape;
//! `/ping`; `/learnspam` and `/learnham` feed the classifier. Off by default; meant for
//! loopback or an internal network (the MTA or proxy that asks). See docs/integrations.md.
//!
//! Bounds: `scan_api.max_connections` requests at once (more are answered 503 at once), a
//! whole request within `scan_api.timeout`, a head of `http::MAX_HEAD` and a body of
//! `limits.max_message_size` (413 beyond, before reading it).

pub mod config;
pub mod http;
pub mod learn;
pub mod reply;

use crate::doors::{Door, Envelope, refused};
use crate::runtime::Runtime;
use crate::smtp::address::ReversePath;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// The runtime a new request gets (the server's current one, swapped by reloads).
pub type Current = Arc<dyn Fn() -> Arc<Runtime> + Send + Sync>;

pub struct ScanApi {
    listener: TcpListener,
    current: Current,
    seats: Arc<Semaphore>,
}

impl ScanApi {
    /// Binds `scan_api.listen` of the current runtime (a taken port fails the start).
    pub fn bind(addr: SocketAddr, current: Current) -> std::io::Result<ScanApi> {
        let listener = crate::inbound::listener::bind(addr, 1024)?;
        let seats = Arc::new(Semaphore::new(current().config.scan_api.max_connections));
        Ok(ScanApi {
            listener,
            current,
            seats,
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The request seats: every one is back once no request is in flight (shutdown waits
    /// for that, `crate::doors::Draining`).
    pub fn seats(&self) -> Arc<Semaphore> {
        self.seats.clone()
    }

    /// Accepts until the task is dropped; each request in a task of its own.
    pub async fn run(self) {
        tracing::info!(address = %crate::logfield::or_unknown(self.local_addr()), "scan API listening");
        loop {
            let Ok((stream, peer)) = self.listener.accept().await else {
                continue;
            };
            let rt = (self.current)();
            let seat = self.seats.clone().try_acquire_owned();
            tokio::spawn(async move {
                let mut stream = stream;
                let Ok(_seat) = seat else {
                    refused(Door::ScanApi, "full");
                    let _ = stream
                        .write_all(&http::error(503, "too many requests"))
                        .await;
                    return;
                };
                let answer = serve(&rt, &mut stream, peer.ip()).await;
                let _ = stream.write_all(&answer).await;
                let _ = stream.shutdown().await;
            });
        }
    }
}

/// One request, read within the timeout, answered.
async fn serve(rt: &Runtime, stream: &mut TcpStream, peer: IpAddr) -> Vec<u8> {
    let limit = rt.config.limits.max_message_size;
    let read = tokio::time::timeout(rt.config.scan_api.timeout, read_request(stream, limit));
    let (head, body) = match read.await {
        Err(_) => {
            refused(Door::ScanApi, "timeout");
            return http::error(408, "request not complete in time");
        }
        Ok(Err((status, why))) => {
            refused(
                Door::ScanApi,
                if status == 413 {
                    "too_large"
                } else {
                    "bad_request"
                },
            );
            return http::error(status, why);
        }
        Ok(Ok(r)) => r,
    };
    route(rt, &head, body, peer).await
}

/// Reads the head, then exactly `Content-Length` bytes of body.
async fn read_request(
    stream: &mut TcpStream,
    limit: usize,
) -> Result<(http::Head, Vec<u8>), (u16, &'static str)> {
    let mut buf = Vec::with_capacity(4096);
    let head_len = loop {
        if let Some(n) = http::head_len(&buf) {
            break n;
        }
        if buf.len() > http::MAX_HEAD {
            return Err((431, "request head too large"));
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                return Err((400, "connection closed before the request was complete"));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = http::parse_head(&buf[..head_len]).map_err(|e| (400, e))?;
    let length = match head.content_length().map_err(|e| (400, e))? {
        Some(n) => n,
        None if head.method == "POST" => return Err((411, "Content-Length required")),
        None => 0,
    };
    if length > limit {
        return Err((413, "message larger than limits.max_message_size"));
    }
    let mut body = buf.split_off(head_len);
    if body.len() > length {
        return Err((400, "more bytes than Content-Length"));
    }
    body.reserve_exact(length - body.len());
    let mut rest = (&mut *stream).take((length - body.len()) as u64);
    rest.read_to_end(&mut body)
        .await
        .map_err(|_| (400, "connection failed while reading the body"))?;
    if body.len() < length {
        return Err((400, "connection closed before the body was complete"));
    }
    Ok((head, body))
}

async fn route(rt: &Runtime, head: &http::Head, body: Vec<u8>, peer: IpAddr) -> Vec<u8> {
    let post = head.method == "POST";
    match head.path.as_str() {
        "/ping" => http::response(200, "text/plain", b"pong\r\n"),
        "/checkv2" | "/check" | "/symbols" if post => {
            if head.header("compression").is_some() {
                refused(Door::ScanApi, "bad_request");
                return http::error(415, "compressed requests are not supported");
            }
            scan(rt, head, body, peer).await
        }
        "/learnspam" | "/learnham" if post => learn_endpoint(rt, head, body, peer).await,
        "/checkv2" | "/check" | "/symbols" | "/learnspam" | "/learnham" => {
            http::error(405, "use POST")
        }
        _ => http::error(404, "no such endpoint"),
    }
}

/// Judges one message with the pipeline (`judge`) and answers in rspamd's shape.
async fn scan(rt: &Runtime, head: &http::Head, body: Vec<u8>, peer: IpAddr) -> Vec<u8> {
    let started = std::time::Instant::now();
    let env = envelope(head, peer);
    if let Some(queue_id) = head.header("queue-id") {
        tracing::debug!(reference = %env.reference, queue_id = ?queue_id, "scan request");
    }
    let (message_id, subject) = message_id_and_subject(&body);
    // rspamd's `User`: the MTA authenticated the client (SMTP AUTH).
    let authenticated = head.header("user").is_some_and(|u| !u.trim().is_empty());
    let judged = judge(rt, &env, authenticated, body).await;
    let extra = reply::Extra {
        reference: &env.reference,
        message_id,
        subject,
        subject_tag: &rt.config.policy.thresholds.subject_tag,
        thresholds: &rt.config.policy.thresholds,
        seconds: started.elapsed().as_secs_f64(),
    };
    let json = if head.path == "/check" {
        reply::check_v1(&judged, &extra)
    } else {
        reply::checkv2(&judged, &extra)
    };
    http::response(200, "application/json", json.to_string().as_bytes())
}

/// The scan API's one call into the pipeline: the client's screening at connect, then the
/// end-of-DATA stage, as `moat serve` runs them. A client the connect screen refuses gets
/// the refusal's findings and `reject` — unless the MTA says it authenticated (`User`): a
/// user submitting from a listed home or mobile network is sending mail, not probing the MX
/// (as the milter does with `{auth_authen}`). Its message is still judged, and an explicit
/// client deny list still refuses it at the end (`DENYLIST`).
async fn judge(
    rt: &Runtime,
    env: &Envelope,
    authenticated: bool,
    body: Vec<u8>,
) -> crate::doors::Judged {
    match crate::doors::screen(rt, env.client_ip).await {
        Ok(findings) => crate::doors::judge(rt, Door::ScanApi, env, findings, body).await,
        Err(_) if authenticated => {
            tracing::info!(door = "scan_api", reference = %env.reference, "authenticated client: the connect screen's refusal does not apply");
            crate::doors::judge(rt, Door::ScanApi, env, Vec::new(), body).await
        }
        Err(refusal) => crate::doors::refused_at_connect(rt, Door::ScanApi, env, refusal),
    }
}

/// rspamd's request headers: `IP`, `Helo`, `From`, `Rcpt` (one per recipient); `User` is
/// read by `scan`. Without `IP` the connecting peer's address is the client's.
fn envelope(head: &http::Head, peer: IpAddr) -> Envelope {
    let client_ip = head
        .header("ip")
        .and_then(|ip| ip.trim_matches(['[', ']']).parse().ok())
        .unwrap_or(peer);
    let from = head
        .header("from")
        .and_then(crate::doors::mailbox)
        .map_or(ReversePath::Null, ReversePath::Mailbox);
    Envelope {
        reference: crate::doors::new_reference(),
        client_ip,
        helo: head.header("helo").unwrap_or("").to_string(),
        from,
        recipients: head.all("rcpt").filter_map(crate::doors::mailbox).collect(),
    }
}

/// `Message-ID` (without angle brackets) and `Subject`, for the answer.
fn message_id_and_subject(body: &[u8]) -> (Option<String>, Option<String>) {
    let parsed = mail_parser::MessageParser::new().parse_headers(body);
    let Some(m) = parsed else {
        return (None, None);
    };
    (
        m.message_id().map(str::to_string),
        m.subject().map(str::to_string),
    )
}

async fn learn_endpoint(rt: &Runtime, head: &http::Head, body: Vec<u8>, peer: IpAddr) -> Vec<u8> {
    // rspamd's rule: learning needs the password; without one configured, loopback only.
    let allowed = match &rt.config.scan_api.password {
        Some(p) => head.header("password").is_some_and(|given| same(given, p)),
        None => peer.is_loopback(),
    };
    if !allowed {
        refused(Door::ScanApi, "forbidden");
        return http::error(
            403,
            "learning needs the scan_api.password (Password header)",
        );
    }
    let class = if head.path == "/learnspam" {
        crate::bayes::model::Class::Spam
    } else {
        crate::bayes::model::Class::Ham
    };
    match learn::learn(rt.config.clone(), body, class).await {
        Ok(learned) => {
            tracing::info!(class = ?class, learned = %learned, "scan API learned a message");
            let body = serde_json::json!({"success": true, "moat_learned": learned});
            http::response(200, "application/json", body.to_string().as_bytes())
        }
        Err(e) => {
            tracing::error!(error = %e, "scan API learning failed");
            http::error(500, "learning failed; see Moat's log")
        }
    }
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}
