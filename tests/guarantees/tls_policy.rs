//! TLS policy, checked with the reference client (`openssl s_client -starttls smtp`):
//! TLS 1.0 and 1.1 are refused by Moat (the client is told to offer them, so the failure is
//! the server's), TLS 1.2 and 1.3 succeed, CBC/non-AEAD suites are refused, and a replaced
//! certificate is served after SIGHUP without a restart.

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;
use std::process::{Command, Stdio};

/// Runs s_client with `args` against Moat; returns (handshake succeeded, all output).
fn s_client(moat: &Moat, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect"])
        .arg(moat.addr.to_string())
        .args(["-servername", "mx.example.test"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A finished handshake prints the negotiated cipher; a failed one prints `Cipher is (NONE)`.
    let ok = text.contains("Cipher is ") && !text.contains("Cipher is (NONE)");
    (ok, text)
}

fn tls_moat(dir: &std::path::Path, backend: &FaultBackend) -> Moat {
    let (cert, key) = make_cert(dir);
    Conf::for_backend(backend).tls(&cert, &key).start()
}

/// The client must have offered the old version: OpenSSL's default security level would
/// otherwise refuse to (`no protocols available`), which would prove nothing about Moat.
/// Moat (rustls) answers such a ClientHello with a fatal alert (handshake_failure or
/// protocol_version), which the client reports as `SSL alert number N`.
fn refused_by_server(text: &str) -> bool {
    !text.contains("no protocols available") && text.contains("SSL alert number")
}

#[test]
fn tls_policy_tls10_and_tls11_refused_by_server() {
    let dir = tempfile::tempdir().unwrap();
    let backend = FaultBackend::normal();
    let moat = tls_moat(dir.path(), &backend);
    for version in ["-tls1", "-tls1_1"] {
        let (ok, text) = s_client(&moat, &[version, "-cipher", "DEFAULT:@SECLEVEL=0"]);
        assert!(!ok, "{version} must fail:\n{text}");
        assert!(
            refused_by_server(&text),
            "{version}: the failure must be Moat's alert:\n{text}"
        );
    }
}

#[test]
fn tls_policy_tls12_and_tls13_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let backend = FaultBackend::normal();
    let moat = tls_moat(dir.path(), &backend);
    let (ok, text) = s_client(&moat, &["-tls1_2"]);
    assert!(ok && text.contains("TLSv1.2"), "TLS 1.2:\n{text}");
    let (ok, text) = s_client(&moat, &["-tls1_3"]);
    assert!(ok && text.contains("TLSv1.3"), "TLS 1.3:\n{text}");
}

#[test]
fn tls_policy_cbc_suites_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backend = FaultBackend::normal();
    let moat = tls_moat(dir.path(), &backend);
    // Only non-AEAD (CBC, SHA-1 MAC) suites offered: Moat has none of them.
    let (ok, text) = s_client(
        &moat,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    assert!(!ok, "a CBC-only client must not get a session:\n{text}");
}

/// The PEM of the certificate the server presented.
fn served_cert(moat: &Moat) -> String {
    let (ok, text) = s_client(moat, &["-tls1_3"]);
    assert!(ok, "{text}");
    let start = text
        .find("-----BEGIN CERTIFICATE-----")
        .expect("certificate shown");
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    text[start..end].to_string()
}

fn pem_of(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

#[test]
fn tls_policy_replaced_certificate_served_after_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path());
    let backend = FaultBackend::normal();
    let moat = Conf::for_backend(&backend).tls(&cert, &key).start();
    let first = pem_of(&cert);
    assert_eq!(served_cert(&moat), first);

    // New key and certificate written over the old files (as certbot's deploy hook would).
    let fresh = tempfile::tempdir().unwrap();
    let (new_cert, new_key) = make_cert(fresh.path());
    std::fs::copy(&new_key, &key).unwrap();
    std::fs::copy(&new_cert, &cert).unwrap();
    let second = pem_of(&cert);
    assert_ne!(first, second);

    let status = Command::new("kill")
        .args(["-HUP", &moat.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(moat.wait_log("configuration reloaded"), "{}", moat.log());
    assert_eq!(
        served_cert(&moat),
        second,
        "the new certificate after SIGHUP"
    );
}
