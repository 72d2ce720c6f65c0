//! The scan API with real clients: `rspamc` (Debian's rspamd package) and curl.

use crate::common::tools;
use crate::env::{self, GTUBE};
use std::process::Command;

fn rspamc(api: std::net::SocketAddr, args: &[&str], file: &std::path::Path) -> String {
    let out = Command::new(tools::find_program("rspamc").expect("rspamc"))
        .args(["-h", &api.to_string(), "-t", "20"])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    tools::transcript(&out)
}

/// `rspamc symbols` prints Moat's action, score and symbols for GTUBE, a spam and a ham;
/// the reject carries Moat's reply text with the reference id.
#[test]
fn rspamc_symbols_print_moats_verdicts() {
    let test = "rspamc_symbols_print_moats_verdicts";
    if !tools::have(test, &["rspamc"]) {
        return;
    }
    let d = env::start("");
    let dir = d.moat.dir();
    let envelope = [
        "-i",
        "192.0.2.10",
        "--helo",
        "client.origin.test",
        "-F",
        "sender@origin.test",
        "-r",
        "alice@example.test",
    ];
    let gtube = env::write(dir, "gtube.eml", &env::message("test", GTUBE));
    let out = rspamc(d.scan_api, &[&envelope[..], &["symbols"]].concat(), &gtube);
    assert!(out.contains("Action: reject"), "{out}");
    assert!(out.contains("Symbol: GTUBE"), "{out}");
    assert!(out.contains("smtp_message: Message refused (ref="), "{out}");
    let spam = env::write(dir, "spam.eml", &env::message("doors-mark offer", "Hello."));
    let out = rspamc(d.scan_api, &[&envelope[..], &["symbols"]].concat(), &spam);
    assert!(out.contains("Action: add header"), "{out}");
    assert!(out.contains("Spam: true"), "{out}");
    assert!(out.contains("Symbol: DOORS_MARK (6.00)"), "{out}");
    let ham = env::write(
        dir,
        "ham.eml",
        &env::message("lunch on friday", "See you at noon."),
    );
    let out = rspamc(d.scan_api, &[&envelope[..], &["symbols"]].concat(), &ham);
    assert!(out.contains("Action: no action"), "{out}");
    assert!(out.contains("Spam: false"), "{out}");
    assert!(d.moat.wait_log("door=\"scan_api\""), "{}", d.moat.log());
}

/// `rspamc learn_spam` trains Moat's classifier model (the `bayes.model` file); with
/// `scan_api.password` set, learning without it is refused.
#[test]
fn rspamc_learn_spam_trains_moats_model() {
    let test = "rspamc_learn_spam_trains_moats_model";
    if !tools::have(test, &["rspamc"]) {
        return;
    }
    let d = env::start("bayes:\n  model: {DIR}/bayes.model\n");
    let dir = d.moat.dir();
    let spam = env::write(dir, "spam.eml", &env::message("cheap pills", "Buy now."));
    let out = rspamc(d.scan_api, &["learn_spam"], &spam);
    assert!(out.contains("success = true"), "{out}");
    assert!(dir.join("bayes.model").is_file(), "{out}");
    let out = rspamc(
        d.scan_api,
        &["learn_ham"],
        &env::write(dir, "ham.eml", &env::message("minutes", "Attached.")),
    );
    assert!(out.contains("success = true"), "{out}");

    let locked = env::start_with(
        "  password: s3cret\n",
        "bayes:\n  model: {DIR}/bayes.model\n",
    );
    let spam = env::write(
        locked.moat.dir(),
        "spam.eml",
        &env::message("cheap pills", "Buy now."),
    );
    let out = rspamc(locked.scan_api, &["learn_spam"], &spam);
    assert!(!out.contains("success = true"), "{out}");
    assert!(!locked.moat.dir().join("bayes.model").exists(), "{out}");
    let out = rspamc(locked.scan_api, &["-P", "s3cret", "learn_spam"], &spam);
    assert!(out.contains("success = true"), "{out}");
}

/// curl: `/ping`, the `/checkv2` JSON (rspamd's fields, Moat's headers in `milter`), the
/// older `/check`, and the bounds (body over `limits.max_message_size` → 413 unread).
#[test]
fn curl_checkv2_json_shape_and_bounds() {
    let test = "curl_checkv2_json_shape_and_bounds";
    if !tools::have(test, &["curl"]) {
        return;
    }
    let d = env::start("limits:\n  max_message_size: 64KiB\n");
    let dir = d.moat.dir();
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "-m", "20", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (body.to_string(), code.to_string())
    };
    let url = |path: &str| format!("http://{}{path}", d.scan_api);
    assert_eq!(curl(&[&url("/ping")]), ("pong\r\n".into(), "200".into()));
    let spam = env::write(dir, "spam.eml", &env::message("doors-mark", "Hi."));
    let file = format!("@{}", spam.display());
    let (body, code) = curl(&[
        "--data-binary",
        &file,
        "-H",
        "IP: 192.0.2.10",
        "-H",
        "From: sender@origin.test",
        "-H",
        "Rcpt: alice@example.test",
        &url("/checkv2"),
    ]);
    assert_eq!(code, "200", "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["action"], "add header", "{v}");
    assert_eq!(v["moat_action"], "add_header");
    assert_eq!(v["required_score"], 15.0);
    assert_eq!(v["symbols"]["DOORS_MARK"]["score"], 6.0);
    assert_eq!(v["message-id"], "doors-mark@origin.test");
    assert_eq!(v["milter"]["add_headers"]["X-Spam-Flag"]["value"], "YES");
    let (body, _) = curl(&["--data-binary", &file, &url("/check")]);
    let v1: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v1["default"]["is_spam"], true, "{v1}");
    let big = env::write(
        dir,
        "big.eml",
        &env::message("big", &"x".repeat(100 * 1024)),
    );
    let (body, code) = curl(&[
        "--data-binary",
        &format!("@{}", big.display()),
        &url("/checkv2"),
    ]);
    assert_eq!(code, "413", "{body}");
    let (_, code) = curl(&[&url("/checkv2")]);
    assert_eq!(code, "405");
    let (_, code) = curl(&[&url("/nothing")]);
    assert_eq!(code, "404");
}

/// SIGTERM while a scan request is being sent: the door stops accepting at once, and the
/// request in flight still gets its verdict within `shutdown_grace` before Moat exits.
#[test]
fn scan_api_request_in_flight_at_sigterm_gets_its_verdict() {
    use std::io::{Read, Write};
    let mut d = env::start("shutdown_grace: 20s\n");
    let body = env::message("doors-mark", "Hi.");
    let mut client = std::net::TcpStream::connect(d.scan_api).unwrap();
    let head = format!(
        "POST /checkv2 HTTP/1.1\r\nHost: moat\r\nIP: 192.0.2.10\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(&body[..10]).unwrap();
    let killed = Command::new("kill")
        .args(["-TERM", &d.moat.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(d.moat.wait_log("shutting down"), "{}", d.moat.log());
    // The listener is gone: a new client is refused.
    let refused = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(d.scan_api).is_ok() {
        assert!(
            std::time::Instant::now() < refused,
            "still accepting after SIGTERM"
        );
        std::thread::yield_now();
    }
    client.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"add header\""), "{answer}");
    let status = d.moat.terminate();
    assert!(status.success(), "{status:?}\n{}", d.moat.log());
}

/// rspamd's `User` header says the MTA authenticated the client: a DNSBL listing of its
/// address (a home network) does not refuse the message, as for the milter's
/// `{auth_authen}`; without it the same request is rejected by the connect screen.
#[test]
fn scan_api_user_header_spares_authenticated_clients_the_connect_screen() {
    let (_rt, dns) = crate::common::dns::TestDns::start_with_runtime();
    dns.a("66.2.0.192.bl.test", std::net::Ipv4Addr::new(127, 0, 0, 2));
    let d = env::start(&format!(
        "dns:\n  nameservers: [\"{}\"]\n  timeout: 2s\n  attempts: 1\n\
         reputation:\n  dnsbl: [\"bl.test*5\"]\n  threshold: 5\n",
        dns.addr
    ));
    let body = String::from_utf8(env::message("home network", "Hi.")).unwrap();
    let check = |user: &str| {
        let request = format!(
            "POST /checkv2 HTTP/1.1\r\nHost: moat\r\nIP: 192.0.2.66\r\n\
             From: alice@example.test\r\nRcpt: bob@example.test\r\n{user}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (code, json) = crate::common::http::raw_http(d.scan_api, &request);
        assert_eq!(code, 200, "{json}");
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    };
    let refused = check("");
    assert_eq!(refused["action"], "reject", "{refused}");
    assert!(refused["symbols"]["DNSBL_BL_TEST"].is_object(), "{refused}");
    let spared = check("User: alice@example.test\r\n");
    assert_eq!(spared["action"], "no action", "{spared}");
}
