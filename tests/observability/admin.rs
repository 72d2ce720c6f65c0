//! The admin endpoints: /healthz, /readyz following the backend (acceptance 4), POST /reload
//! with SIGHUP's all-or-nothing semantics, and JSON logs carrying the client's reference id
//! (acceptance 5).

use super::support::*;
use crate::common::fault_backend::{Fault, FaultBackend};
use std::time::Duration;

/// Polls `path` until it answers `status` (the backend probe is cached for 2 s).
fn wait_status(a: &Admin, path: &str, status: u16) -> String {
    let mut last = (0, String::new());
    let reached = crate::common::poll::poll_until(Duration::from_secs(15), || {
        last = http(a.admin, "GET", path);
        last.0 == status
    });
    assert!(reached, "{path} stayed {}: {}", last.0, last.1);
    last.1
}

#[test]
fn readyz_turns_unready_when_the_backend_is_down_and_ready_when_it_is_back() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    assert_eq!(http(a.admin, "GET", "/healthz"), (200, "ok\n".into()));
    wait_status(&a, "/readyz", 200);

    // The backend refuses service (421 greeting, then close): not ready, alive all the same.
    backend.set_fault(Fault::Greeting("421 4.3.2 Service shutting down".into()));
    let body = wait_status(&a, "/readyz", 503);
    assert!(body.contains("backend unreachable"), "{body}");
    assert_eq!(http(a.admin, "GET", "/healthz").0, 200);
    let (_, metrics) = http(a.admin, "GET", "/metrics");
    assert_eq!(sample(&metrics, "moat_backend_up"), 0.0);

    backend.set_fault(Fault::None);
    assert_eq!(wait_status(&a, "/readyz", 200), "ready\n");
    let (_, metrics) = http(a.admin, "GET", "/metrics");
    assert_eq!(sample(&metrics, "moat_backend_up"), 1.0);
}

#[test]
fn admin_refuses_unknown_paths_and_wrong_methods() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    assert_eq!(http(a.admin, "GET", "/nope").0, 404);
    assert_eq!(
        http(a.admin, "GET", "/reload").0,
        405,
        "reload only by POST"
    );
    assert_eq!(http(a.admin, "POST", "/metrics").0, 405);
}

#[test]
fn post_reload_applies_a_good_file_and_keeps_the_running_one_on_a_broken_file() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let path = &a.moat.config_path;
    let original = std::fs::read_to_string(path).unwrap();

    std::fs::write(path, format!("{original}limits_typo: 1\n")).unwrap();
    let (status, body) = post_reload(a.admin);
    assert_eq!(status, 500);
    assert!(
        body.contains("limits_typo"),
        "the error names the key: {body}"
    );
    let (_, m) = http(a.admin, "GET", "/metrics");
    assert_eq!(
        sample(&m, "moat_config_reloads_total{result=\"failure\"}"),
        1.0
    );
    assert_eq!(sample(&m, "moat_config_last_reload_successful"), 0.0);

    let good = original.replace("domains:\n", "domains:\n  - new.test\n");
    std::fs::write(path, good).unwrap();
    assert_eq!(
        post_reload(a.admin),
        (200, "configuration reloaded\n".into())
    );
    let (_, m) = http(a.admin, "GET", "/metrics");
    assert_eq!(
        sample(&m, "moat_config_reloads_total{result=\"success\"}"),
        1.0
    );
    assert_eq!(sample(&m, "moat_config_last_reload_successful"), 1.0);
    // New sessions get the new configuration.
    let mut c = crate::common::client::TcpClient::connect(a.moat.addr);
    c.reply();
    c.cmd("EHLO client.test");
    c.cmd("MAIL FROM:<a@sender.test>");
    assert!(c.cmd("RCPT TO:<bob@new.test>").starts_with("250"));
}

#[test]
fn json_log_lines_carry_the_reference_id_the_client_saw() {
    let backend = FaultBackend::normal();
    backend.set_fault(Fault::EndOfData("554 5.7.1 Not wanted".into()));
    let a = start(&backend, "json");
    let reply = send(&a.moat, "refused");
    assert!(reply.starts_with("554"), "{reply}");
    let reference = reply
        .split("(ref=")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the refusal carries a reference id")
        .to_string();
    assert!(a.moat.wait_log("\"session\""), "session line written");
    // The message line's span also says "session"; the refusal line follows it: wait for it
    // too rather than race it (this failed under a loaded machine).
    assert!(a.moat.wait_log("\"refused\""), "refusal line written");

    let log = a.moat.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let with_ref = |message: &str| {
        lines
            .iter()
            .any(|v| v["message"] == message && v["reference"].as_str() == Some(reference.as_str()))
    };
    assert!(
        with_ref("message"),
        "one line per message with {reference}:\n{log}"
    );
    assert!(with_ref("refused"), "the refusal with {reference}:\n{log}");
    let message = lines.iter().find(|v| v["message"] == "message").unwrap();
    assert_eq!(message["action"], "accept");
    assert!(message["reply"].as_str().unwrap().starts_with("554"));
}

/// `moat health` (the image's HEALTHCHECK) exits by /readyz: 0 while the backend answers,
/// 1 with the reason when it does not, 1 when nothing listens.
#[test]
fn moat_health_exits_by_readyz() {
    let backend = FaultBackend::normal();
    let mut a = start(&backend, "text");
    // Moat's file says `admin.listen: 127.0.0.1:0`; `moat health` reads the same file with
    // the address Moat reported in its place.
    let config = a.moat.dir().join("health.yaml");
    let text = std::fs::read_to_string(&a.moat.config_path).unwrap();
    std::fs::write(
        &config,
        text.replace("\"127.0.0.1:0\"", &format!("\"{}\"", a.admin)),
    )
    .unwrap();
    let health = || {
        let out = std::process::Command::new(crate::common::moat::moat_bin())
            .args(["health", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    wait_status(&a, "/readyz", 200);
    assert_eq!(health(), (Some(0), "ready\n".into()));

    backend.set_fault(Fault::Greeting("421 4.3.2 Service shutting down".into()));
    wait_status(&a, "/readyz", 503);
    let (code, text) = health();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("503") && text.contains("backend unreachable"),
        "{text}"
    );

    a.moat.terminate();
    let (code, text) = health();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("cannot ask"), "{text}");
}
