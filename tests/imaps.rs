//! `moat learn --imap` over TLS against a real Dovecot with a self-signed certificate:
//! `imaps://` (TLS from the first byte) and `imap://` with STARTTLS, both verified against
//! `--ca`; a certificate the client does not trust is refused with a clear error, and no
//! password is sent.

mod common;

use common::dovecot::{self, Dovecot, PASSWORD};
use common::moat::moat_bin;
use std::path::Path;
use std::process::{Command, Output};

const USER: &str = "alice@example.test";

fn message(kind: &str, n: u32) -> String {
    format!(
        "From: s{n}@{kind}.test\r\nTo: {USER}\r\nSubject: {kind} number {n}\r\n\
         Message-ID: <{n}.{kind}@x.test>\r\n\r\nThis is {kind} message {n}.\r\n"
    )
}

/// `moat learn --imap URL --folder FOLDER --as CLASS` with extra arguments.
fn learn(model: &Path, url: &str, folder: &str, class: &str, extra: &[&str]) -> Output {
    Command::new(moat_bin())
        .args(["learn", "--model", model.to_str().unwrap(), "--imap", url])
        .args(["--folder", folder, "--as", class])
        .args(extra)
        .env("MOAT_IMAP_USER", USER)
        .env("MOAT_IMAP_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Dovecot's login log lines, once there are `n` (it logs through a separate process).
fn wait_logins(dovecot: &Dovecot, n: usize) -> Vec<String> {
    let logins = || -> Vec<String> {
        dovecot
            .log()
            .lines()
            .filter(|l| l.contains("Info: Login: user="))
            .map(String::from)
            .collect()
    };
    common::poll::poll_until(std::time::Duration::from_secs(10), || logins().len() >= n);
    logins()
}

#[test]
fn e2e_learn_over_imaps_and_starttls_verified_with_ca_wrong_ca_refused() {
    let test = "e2e_learn_over_imaps_and_starttls_verified_with_ca_wrong_ca_refused";
    let Some(dovecot) = Dovecot::start_tls_or_skip(test) else {
        return;
    };
    for n in 0..4 {
        dovecot.deliver_to_folder(USER, "Junk", &format!("{n}.spam"), &message("spam", n));
    }
    for n in 0..3 {
        dovecot.deliver_to_folder(USER, "INBOX", &format!("{n}.ham"), &message("ham", n));
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bayes.model");
    let ca = dovecot.certificate.clone().unwrap();
    let ca = ca.to_str().unwrap();
    let imaps = format!("imaps://{}", dovecot.imaps.unwrap());
    let imap = format!("imap://{}", dovecot.imap);

    let out = learn(&model, &imaps, "Junk", "spam", &["--ca", ca]);
    assert!(out.status.success(), "{}\n{}", text(&out), dovecot.log());
    assert!(text(&out).contains("Spam: 4 learned"), "{}", text(&out));
    let out = learn(&model, &imap, "INBOX", "ham", &["--ca", ca]);
    assert!(out.status.success(), "{}\n{}", text(&out), dovecot.log());
    assert!(text(&out).contains("Ham: 3 learned"), "{}", text(&out));
    assert!(text(&out).contains("4 spam, 3 ham"), "{}", text(&out));
    // Both logins were over TLS (Dovecot marks them), none in clear.
    let logins = wait_logins(&dovecot, 2);
    assert!(logins.iter().all(|l| l.contains("TLS")), "{logins:?}");

    // A CA that did not sign the server's certificate: refused before LOGIN.
    let other = dovecot::self_signed(dir.path(), "other");
    for url in [&imaps, &imap] {
        let out = learn(
            &model,
            url,
            "Junk",
            "spam",
            &["--ca", other.to_str().unwrap()],
        );
        assert!(!out.status.success(), "{}", text(&out));
        let err = text(&out);
        assert!(err.contains("TLS handshake with 127.0.0.1 failed"), "{err}");
        assert!(err.contains("invalid peer certificate"), "{err}");
        assert!(err.contains("other.pem"), "{err}");
    }
    // Without --ca, the system CAs do not vouch for a self-signed certificate either.
    let out = learn(&model, &imaps, "Junk", "spam", &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--ca FILE"), "{}", text(&out));
    assert_eq!(
        wait_logins(&dovecot, 2).len(),
        2,
        "no login after a refused certificate"
    );
}
