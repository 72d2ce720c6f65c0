//! The admin listener stays answerable and cannot be driven by a web page: `/healthz` (the
//! shipped liveness probe) answers quickly while idle sockets hold the admin port, idle
//! sockets are closed after the header timeout, and a cross-site-style `POST /reload` is
//! refused without reloading. All at the shipped defaults (no admin limits configured).

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Idle sockets the tests hold open (the issue saw 24 break the probe).
const IDLE: usize = 100;
/// The kubelet's default probe timeout: a slower answer is a failed probe.
const PROBE_BUDGET: Duration = Duration::from_secs(1);

/// Probes `/healthz` `n` times; every answer must be 200 within `PROBE_BUDGET`. Returns the
/// slowest answer.
fn probe_healthz(admin: SocketAddr, n: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for i in 0..n {
        let start = Instant::now();
        let (status, body) = http(admin, "GET", "/healthz");
        let took = start.elapsed();
        assert_eq!((status, body.as_str()), (200, "ok\n"), "probe {i}");
        assert!(took < PROBE_BUDGET, "probe {i} took {took:?}");
        slowest = slowest.max(took);
    }
    slowest
}

#[test]
fn admin_healthz_answers_while_100_idle_sockets_hold_the_port() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(a.admin).unwrap())
        .collect();
    let slowest = probe_healthz(a.admin, 35);
    eprintln!("admin: 35 /healthz probes with {IDLE} idle sockets, slowest {slowest:?}");
    let (_, m) = http(a.admin, "GET", "/metrics");
    // One peer (127.0.0.1) keeps at most its cap of pending connections: the rest were closed.
    let evicted = sample(&m, "moat_admin_refusals_total{reason=\"evicted\"}");
    assert!(evicted >= (IDLE - 8) as f64, "evicted {evicted}");
    drop(idle);
}

#[test]
fn admin_healthz_answers_while_idle_sockets_come_from_100_addresses() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    // 100 peers (127.0.0.2 …) each holding one idle socket: more than the total cap, fewer
    // than any peer's cap, so the total cap is what makes room.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let idle: Vec<tokio::net::TcpStream> = rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..IDLE {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            let from: SocketAddr = format!("127.0.0.{}:0", i + 2).parse().unwrap();
            socket.bind(from).unwrap();
            out.push(socket.connect(a.admin).await.unwrap());
        }
        out
    });
    let slowest = probe_healthz(a.admin, 35);
    eprintln!("admin: 35 /healthz probes with {IDLE} idle peers, slowest {slowest:?}");
    drop(idle);
}

#[test]
fn admin_idle_socket_is_closed_with_408_after_the_header_timeout() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let mut s = TcpStream::connect(a.admin).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let start = Instant::now();
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .expect("closed by Moat, not by our timeout");
    let took = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(9)).contains(&took),
        "closed after {took:?}"
    );
    let (_, m) = http(a.admin, "GET", "/metrics");
    assert_eq!(
        sample(&m, "moat_admin_refusals_total{reason=\"header_timeout\"}"),
        1.0
    );
}

#[test]
fn admin_cross_site_reload_is_refused_with_403_and_does_not_reload() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let reloads = |a: &Admin| {
        let (_, m) = http(a.admin, "GET", "/metrics");
        sum(&m, "moat_config_reloads_total")
    };
    // What an HTML form on any web site can make a browser send: a simple request.
    let form = [
        "Content-Type: application/x-www-form-urlencoded",
        "Origin: http://attacker.example",
    ];
    let (status, body) = http_with(a.admin, "POST", "/reload", &form, "reload=1");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("X-Moat-Reload"), "says what to send: {body}");
    // Without Origin either (a client that strips it), still no custom header.
    let plain = ["Content-Type: text/plain"];
    assert_eq!(http_with(a.admin, "POST", "/reload", &plain, "x").0, 403);
    // A page served from the admin address itself (DNS rebinding) can add the header, but
    // its browser marks the request.
    let rebound = ["X-Moat-Reload: 1", "Origin: http://rebound.example:9925"];
    assert_eq!(http_with(a.admin, "POST", "/reload", &rebound, "").0, 403);
    assert_eq!(reloads(&a), 0.0, "nothing was reloaded");
    assert!(
        !a.moat.log().contains("reload requested"),
        "{}",
        a.moat.log()
    );
    let (_, m) = http(a.admin, "GET", "/metrics");
    assert_eq!(
        sample(&m, "moat_admin_refusals_total{reason=\"reload_forbidden\"}"),
        3.0
    );

    assert_eq!(post_reload(a.admin).0, 200, "an operator's request works");
    assert_eq!(reloads(&a), 1.0);
}

#[test]
fn admin_head_sent_in_pieces_within_the_timeout_is_answered() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let (status, _) = raw_http(a.admin, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    let mut s = TcpStream::connect(a.admin).unwrap();
    for piece in ["GET /hea", "lthz HTTP/1.1\r\n", "Host: x\r\n", "\r\n"] {
        s.write_all(piece.as_bytes()).unwrap();
        s.flush().unwrap();
    }
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
}

/// The documented reload command works with the real curl, and curl without the header (what
/// the documentation used to show) is refused.
#[test]
fn admin_reload_with_curl_as_documented() {
    let test = "admin_reload_with_curl_as_documented";
    if !crate::common::tools::have(test, &["curl"]) {
        return;
    }
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let url = format!("http://{}/reload", a.admin);
    let curl = |extra: &[&str]| {
        let mut args = vec!["-s", "-w", "\n%{http_code}", "-X", "POST"];
        args.extend_from_slice(extra);
        args.push(&url);
        let (ok, out) = run("curl", &args, "");
        assert!(ok, "{out}");
        out.trim_end().rsplit('\n').next().unwrap().to_string()
    };
    assert_eq!(curl(&[]), "403");
    assert_eq!(curl(&["-H", "X-Moat-Reload: 1"]), "200");
    let (_, m) = http(a.admin, "GET", "/metrics");
    assert_eq!(
        sample(&m, "moat_config_reloads_total{result=\"success\"}"),
        1.0
    );
}
