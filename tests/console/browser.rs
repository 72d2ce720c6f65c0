//! The console in a real browser (headless Chromium driven by Selenium, `browser.py`), with
//! Dovecot as the backend: the admin finds a held message by subject, opens it, sees its
//! findings and releases it — and Dovecot has it; a hostile message renders inert (the
//! browser's network log shows no request leaving the console); a recipient logged in
//! through Dovecot's IMAP sees only their own mail. Screenshots go to docs/console/ with MOAT_SCREENSHOTS=1.

use crate::client::{self, ADMIN, ADMIN_PASSWORD, hold, message};
use crate::common::dovecot::{Dovecot, PASSWORD};
use crate::common::tools;
use std::process::Command;

const SUBJECT: &str = "Quarterly invoice HOLDME";
const OTHER: &str = "Bob's parcel notice HOLDME";
const HOSTILE: &str = "1796342400-00009-1-9";

fn selenium_available(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import selenium"])
        .output()
        .is_ok_and(|o| o.status.success());
    // `skip` panics unless MOAT_E2E_OPTIONAL=1, and returns false then.
    ok || tools::skip(
        test,
        "python3 has no selenium (scripts/test.sh installs it from PyPI)",
    )
}

#[test]
fn e2e_console_in_chromium_release_reaches_dovecot_and_hostile_mail_is_inert() {
    let test = "e2e_console_in_chromium_release_reaches_dovecot_and_hostile_mail_is_inert";
    if !tools::have(test, &["chromium", "chromedriver", "python3"]) || !selenium_available(test) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let hostile = "From: x@origin.test\r\nTo: alice@example.test\r\nSubject: <script>alert(1)</script><img src=http://remote.test/s.gif> <style>*{display:none}</style>\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><head><style>body{background:url(http://remote.test/css)}</style><link rel=stylesheet href=http://remote.test/x.css></head><body onload=\"alert(3)\"><script>alert(2)</script><img src=\"http://remote.test/pixel.gif\"><p style=\"background-image:url(http://remote.test/bg)\">Win</p><a href=\"http://phish.test/login\">claim</a><iframe src=http://remote.test/f></iframe></body></html>\r\n";
    let backend = format!("  protocol: lmtp\n  address: {}", dovecot.lmtp);
    let extra = format!("  imap: imap://{}\n", dovecot.imap);
    let (_moat, addr) = client::start(&backend, &extra, &|dir| {
        hold(
            dir,
            "1796342400-00007-1-7",
            "alice@example.test",
            SUBJECT,
            &message(
                "alice@example.test",
                SUBJECT,
                "Please find the invoice attached.",
            ),
        );
        hold(
            dir,
            "1796342400-00008-1-8",
            "bob@example.test",
            OTHER,
            &message("bob@example.test", OTHER, "Your parcel is waiting."),
        );
        hold(
            dir,
            HOSTILE,
            "alice@example.test",
            "<script>alert(1)</script><img src=http://remote.test/s.gif>",
            hostile,
        );
    });
    // The committed screenshots in docs/console/ are refreshed with MOAT_SCREENSHOTS=1; other
    // runs take them into a temporary directory (so a suite run leaves the tree clean).
    let scratch = tempfile::tempdir().unwrap();
    let shots = if std::env::var("MOAT_SCREENSHOTS").is_ok_and(|v| v == "1") {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/console")
    } else {
        scratch.path().to_path_buf()
    };
    std::fs::create_dir_all(&shots).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console/browser.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            &format!("http://{addr}"),
            ADMIN,
            ADMIN_PASSWORD,
            "bob@example.test",
            PASSWORD,
            SUBJECT,
            OTHER,
            HOSTILE,
        ])
        .arg(&shots)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("BROWSER OK"),
        "browser script:\n{stdout}\n{stderr}"
    );
    let inbox = dovecot.imap_messages("alice@example.test");
    assert_eq!(inbox.len(), 1, "Dovecot has the released message, once");
    let text = String::from_utf8_lossy(&inbox[0]);
    assert!(
        text.contains("Please find the invoice attached.") && text.contains("X-Moat-Released"),
        "{text}"
    );
    assert!(
        dovecot.imap_messages("bob@example.test").is_empty(),
        "Bob's stays held"
    );
}
