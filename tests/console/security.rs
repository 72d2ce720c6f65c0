//! Loopback tests of the console's rules: no state change without a session and its CSRF
//! token or a valid signed link; a recipient sees and acts on their own mail only; logins
//! are limited; pages carry a strict CSP and the cookie its flags.

use crate::client::{self, ADMIN, ADMIN_PASSWORD, Client, hold, message};
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::moat_bin;
use std::path::Path;

fn backend(b: &FaultBackend) -> String {
    format!("  protocol: smtp\n  address: {}", b.addr)
}

fn two_held(dir: &Path) {
    hold(
        dir,
        "1796342400-00001-1-1",
        "alice@example.test",
        "Alice invoice HOLDME",
        &message("alice@example.test", "Alice invoice HOLDME", "for alice"),
    );
    hold(
        dir,
        "1796342400-00002-1-2",
        "bob@example.test",
        "Bob prize HOLDME",
        &message("bob@example.test", "Bob prize HOLDME", "for bob"),
    );
}

#[test]
fn console_admin_finds_opens_and_releases_a_message() {
    let b = FaultBackend::normal();
    let (_moat, addr) = client::start(&backend(&b), "", &two_held);
    let mut c = Client::new(addr);
    let login = c.login(ADMIN, ADMIN_PASSWORD);
    assert_eq!(login.status, 303, "{}", login.body);
    // The dashboard shows the backend, the last reload and the virus scanner (off here).
    let dashboard = c.get("/");
    assert_eq!(dashboard.status, 200);
    for card in [
        "Backend",
        "Last reload",
        "Virus scanner</h2><p class=\"big ok\">off",
    ] {
        assert!(dashboard.body.contains(card), "{card}: {}", dashboard.body);
    }
    let list = c.get("/quarantine?subject=prize");
    assert!(
        list.body.contains("Bob prize HOLDME") && !list.body.contains("Alice invoice"),
        "{}",
        list.body
    );
    let page = c.get("/message/1796342400-00002-1-2");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("TEST_HOLD") && page.body.contains("for bob"),
        "{}",
        page.body
    );
    let csrf = c.csrf();
    let done = c.post(
        "/action",
        &[
            ("csrf", &csrf),
            ("action", "release"),
            ("id", "1796342400-00002-1-2"),
        ],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        b.messages_containing("for bob").len(),
        1,
        "the backend got it once"
    );
    assert_eq!(
        c.get("/message/1796342400-00002-1-2").status,
        404,
        "no longer held"
    );
}

#[test]
fn console_state_change_without_csrf_token_is_refused() {
    let b = FaultBackend::normal();
    let (_moat, addr) = client::start(&backend(&b), "", &two_held);
    let mut c = Client::new(addr);
    c.login(ADMIN, ADMIN_PASSWORD);
    let id = "1796342400-00001-1-1";
    for form in [
        vec![("action", "delete"), ("id", id)],
        vec![("csrf", ""), ("action", "delete"), ("id", id)],
        vec![("csrf", &"0".repeat(64)), ("action", "delete"), ("id", id)],
    ] {
        let r = c.post("/action", &form);
        assert_eq!(r.status, 403, "{form:?}: {}", r.body);
    }
    // Without a session at all, even with a token from elsewhere.
    let token = c.csrf();
    let mut stranger = Client::new(addr);
    assert_eq!(
        stranger
            .post(
                "/action",
                &[("csrf", &token), ("action", "delete"), ("id", id)]
            )
            .status,
        403
    );
    let still = c.get("/quarantine");
    assert!(
        still.body.contains("Alice invoice HOLDME"),
        "nothing was deleted"
    );
    assert_eq!(b.messages().len(), 0);
}

#[test]
fn console_recipient_sees_and_acts_on_own_mail_only() {
    let b = FaultBackend::normal();
    let imap = client::fake_imap("bob@example.test", "bobs password");
    let extra = format!("  imap: imap://{imap}\n");
    let (_moat, addr) = client::start(&backend(&b), &extra, &two_held);
    let mut bob = Client::new(addr);
    assert_eq!(bob.login("bob@example.test", "wrong").status, 401);
    assert_eq!(bob.login("bob@example.test", "bobs password").status, 303);
    let list = bob.get("/quarantine");
    assert!(list.body.contains("Bob prize HOLDME"), "{}", list.body);
    assert!(
        !list.body.contains("Alice invoice"),
        "another recipient's message listed"
    );
    // Alice's id, guessed or copied: not shown, not released, not deleted.
    let alice = "1796342400-00001-1-1";
    assert_eq!(bob.get(&format!("/message/{alice}")).status, 404);
    let csrf = bob.csrf();
    for action in ["release", "delete"] {
        let r = bob.post(
            "/action",
            &[("csrf", &csrf), ("action", action), ("id", alice)],
        );
        assert_eq!(r.status, 403, "{action}: {}", r.body);
    }
    // Admin-only actions are refused to recipients, even on their own mail.
    let r = bob.post(
        "/action",
        &[
            ("csrf", &csrf),
            ("action", "learn_spam"),
            ("id", "1796342400-00002-1-2"),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(b.messages().len(), 0);
    let mut admin = Client::new(addr);
    admin.login(ADMIN, ADMIN_PASSWORD);
    assert!(
        admin
            .get("/quarantine")
            .body
            .contains("Alice invoice HOLDME"),
        "still held"
    );
    // Their own: released.
    let r = bob.post(
        "/action",
        &[
            ("csrf", &csrf),
            ("action", "release"),
            ("id", "1796342400-00002-1-2"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(b.messages_containing("for bob").len(), 1);
}

fn link(moat: &crate::common::moat::Moat, id: &str, to: &str, valid: &str) -> String {
    let out = std::process::Command::new(moat_bin())
        .args(["console", "link", "--config"])
        .arg(&moat.config_path)
        .args([id, to, "--valid", valid])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let url = String::from_utf8(out.stdout).unwrap();
    url.trim()
        .strip_prefix("http://console.example.test")
        .unwrap()
        .to_string()
}

#[test]
fn console_signed_link_replayed_or_expired_is_refused() {
    let b = FaultBackend::normal();
    let (moat, addr) = client::start(&backend(&b), "", &two_held);
    let mut anyone = Client::new(addr);
    let good = link(&moat, "1796342400-00002-1-2", "bob@example.test", "1h");
    let landing = anyone.get(&good);
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("Bob prize HOLDME"));
    assert_eq!(b.messages().len(), 0, "opening the link changes nothing");
    assert_eq!(anyone.post(&good, &[]).status, 200);
    assert_eq!(b.messages_containing("for bob").len(), 1);
    let replay = anyone.post(&good, &[]);
    assert_eq!(replay.status, 403, "{}", replay.body);
    assert!(replay.body.contains("already used"));

    let expired = link(&moat, "1796342400-00001-1-1", "alice@example.test", "0s");
    let r = anyone.post(&expired, &[]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("expired"), "{}", r.body);
    // A link for Bob does not release Alice's message, and a forged one is refused.
    let mixed = link(&moat, "1796342400-00001-1-1", "bob@example.test", "1h");
    assert_eq!(anyone.post(&mixed, &[]).status, 404);
    let forged = good.replace("00002-1-2", "00001-1-1");
    assert_eq!(anyone.post(&forged, &[]).status, 403);
    assert_eq!(
        b.messages().len(),
        1,
        "only the one good link released anything"
    );
}

#[test]
fn console_login_brute_force_is_slowed() {
    let b = FaultBackend::normal();
    let admin = "admin:\n  listen: 127.0.0.1:0\n";
    let (moat, addr) = client::start(&backend(&b), admin, &|_| {});
    let mut c = Client::new(addr);
    // At the shipped default of console.login_failures.
    let failures = moat::config::console::ConsoleConfig::default().login_failures;
    assert_eq!(failures, 5);
    for _ in 0..failures {
        assert_eq!(c.login(ADMIN, "guess").status, 401);
    }
    let r = c.login(ADMIN, ADMIN_PASSWORD);
    assert_eq!(
        r.status, 429,
        "locked even with the right password: {}",
        r.body
    );
    assert!(c.cookie.is_none(), "no session");
    assert!(moat.wait_log("too many failures"));
    // Counted for the dashboards: the guessing shows as failed and locked logins.
    let admin = moat.admin.expect("moat reports admin=");
    let logins = |result: &str| {
        let series = format!("moat_console_logins_total{{result=\"{result}\"}}");
        crate::common::http::metric(admin, &series)
    };
    assert_eq!(logins("failed"), failures as f64);
    assert_eq!(logins("locked"), 1.0);
    assert_eq!(logins("ok"), 0.0);
}

#[test]
fn console_pages_carry_strict_csp_and_cookie_flags() {
    let b = FaultBackend::normal();
    let (_moat, addr) = client::start(&backend(&b), "", &two_held);
    let mut c = Client::new(addr);
    let login = c.login(ADMIN, ADMIN_PASSWORD);
    let cookie = login.header("set-cookie").unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    for target in [
        "/",
        "/quarantine",
        "/message/1796342400-00001-1-1",
        "/login",
    ] {
        let page = c.get(target);
        assert_eq!(page.status, 200, "{target}");
        let csp = page.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert!(!page.body.contains("<script"), "{target} has a script");
        assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    }
    assert_eq!(
        Client::new(addr).get("/quarantine").status,
        303,
        "no session: to the login page"
    );
}

#[test]
fn console_hostile_message_renders_inert() {
    let b = FaultBackend::normal();
    let hostile = "From: x@origin.test\r\nTo: alice@example.test\r\nSubject: <script>alert(1)</script><img src=http://remote.test/s.gif>\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><head><style>body{background:url(http://remote.test/css)}</style></head><body><script>alert(2)</script><img src=\"http://remote.test/pixel.gif\"><p style=\"background-image:url(http://remote.test/bg)\">Win</p><a href=\"http://phish.test/login\">claim</a></body></html>\r\n";
    let (_moat, addr) = client::start(&backend(&b), "", &|dir| {
        hold(
            dir,
            "1796342400-00003-1-3",
            "alice@example.test",
            "<script>alert(1)</script><img src=http://remote.test/s.gif>",
            hostile,
        )
    });
    let mut c = Client::new(addr);
    c.login(ADMIN, ADMIN_PASSWORD);
    for page in [c.get("/quarantine"), c.get("/message/1796342400-00003-1-3")] {
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script"), "{}", page.body);
        assert!(!page.body.contains("<img"), "{}", page.body);
        assert!(!page.body.contains("url(http"), "{}", page.body);
        assert!(!page.body.contains("href=\"http"), "{}", page.body);
    }
    let m = c.get("/message/1796342400-00003-1-3");
    assert!(
        m.body.contains("alert(1)") && m.body.contains("script&"),
        "the subject shown as text"
    );
    assert!(
        m.body.contains("<code>http:") && m.body.contains("phish.test"),
        "the link shown, not followed: {}",
        m.body
    );
}

#[test]
fn console_digest_mails_each_recipient_a_working_release_link() {
    let b = FaultBackend::normal();
    let extra = "  digest:\n    from: postmaster@example.test\n";
    let (_moat, addr) = client::start(&backend(&b), extra, &two_held);
    let mut admin = Client::new(addr);
    admin.login(ADMIN, ADMIN_PASSWORD);
    let csrf = admin.csrf();
    assert_eq!(
        admin.post("/digest", &[]).status,
        403,
        "no CSRF token, no digests"
    );
    assert!(b.messages().is_empty());
    let sent = admin.post("/digest", &[("csrf", &csrf)]);
    assert!(sent.body.contains("2 digest(s) sent"), "{}", sent.body);
    let digests = b.messages();
    assert_eq!(digests.len(), 2, "one per recipient");
    let bob = digests
        .iter()
        .find(|m| m.rcpts.iter().any(|r| r.contains("bob@example.test")))
        .expect("Bob's digest");
    let text = bob.text();
    assert!(
        text.contains("Bob prize HOLDME") && !text.contains("Alice invoice"),
        "{text}"
    );
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://console.example.test/r/"))
        .expect("a release link");
    let path = url.strip_prefix("http://console.example.test").unwrap();
    let mut anyone = Client::new(addr);
    assert_eq!(anyone.post(path, &[]).status, 200);
    assert_eq!(
        b.messages_containing("for bob").len(),
        1,
        "released by the link"
    );
    assert_eq!(anyone.post(path, &[]).status, 403, "once");
}

#[test]
fn console_passwd_prints_an_argon2id_line_that_logs_in() {
    use std::io::Write;
    let mut child = std::process::Command::new(moat_bin())
        .args(["console", "passwd", "ops"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("ops:$argon2id$"), "{line}");
    assert!(moat::console::accounts::verify(
        &line,
        "ops",
        "a long passphrase"
    ));
    assert!(!moat::console::accounts::verify(
        &line,
        "ops",
        "a long passphrasE"
    ));
}

#[test]
fn e2e_console_recipient_logs_in_over_imaps_with_dovecot() {
    let test = "e2e_console_recipient_logs_in_over_imaps_with_dovecot";
    let Some(dovecot) = crate::common::dovecot::Dovecot::start_tls_or_skip(test) else {
        return;
    };
    let b = FaultBackend::normal();
    let extra = format!(
        "  imap: imaps://{}\n  imap_ca: {}\n",
        dovecot.imaps.unwrap(),
        dovecot.certificate.as_ref().unwrap().display()
    );
    let (_moat, addr) = client::start(&backend(&b), &extra, &two_held);
    let mut bob = Client::new(addr);
    assert_eq!(bob.login("bob@example.test", "not it").status, 401);
    let ok = bob.login("bob@example.test", crate::common::dovecot::PASSWORD);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = bob.get("/quarantine");
    assert!(list.body.contains("Bob prize HOLDME") && !list.body.contains("Alice invoice"));
}

/// `curl --cacert CA https://ADDR/login` → the status code, or 0 when TLS failed.
fn curl_status(addr: std::net::SocketAddr, ca: &Path) -> u16 {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(ca)
        .arg(format!("https://{addr}/login"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn e2e_console_tls_certificate_is_reloaded() {
    let test = "e2e_console_tls_certificate_is_reloaded";
    if !crate::common::tools::have(test, &["openssl", "curl", "kill"]) {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let first = crate::common::tools::self_signed(certs.path(), "one", "127.0.0.1", "IP:127.0.0.1");
    let (cert, key) = (
        certs.path().join("console.pem"),
        certs.path().join("console.key"),
    );
    std::fs::copy(&first, &cert).unwrap();
    std::fs::copy(certs.path().join("one.key"), &key).unwrap();
    let b = FaultBackend::normal();
    let extra = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        cert.display(),
        key.display()
    );
    let (moat, addr) = client::start(&backend(&b), &extra, &|_| {});
    assert_eq!(
        curl_status(addr, &first),
        200,
        "served over TLS with the first certificate"
    );

    // A renewed certificate in place, then a reload: new connections get it.
    let second =
        crate::common::tools::self_signed(certs.path(), "two", "127.0.0.1", "IP:127.0.0.1");
    std::fs::copy(&second, &cert).unwrap();
    std::fs::copy(certs.path().join("two.key"), &key).unwrap();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &moat.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    assert!(moat.wait_log("configuration reloaded"), "{}", moat.log());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // The reload is logged before the new runtime is current everywhere; each probe is a
    // fresh TLS handshake, so the first one served with the new certificate ends the wait.
    while curl_status(addr, &second) != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the renewed certificate is not served"
        );
    }
    assert_eq!(
        curl_status(addr, &first),
        0,
        "the old certificate is no longer served"
    );
}
