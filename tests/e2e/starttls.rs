//! STARTTLS from a real client (swaks) through Moat to the backend.

use super::*;

/// STARTTLS end to end: swaks upgrades the session (Net::SSLeay, certificate from openssl), the
/// message is relayed intact, and Moat's Received header says `with ESMTPS`.
#[test]
fn e2e_starttls_relayed_message_marked_esmtps() {
    let test = "e2e_starttls_relayed_message_marked_esmtps";
    if !tools::have(test, &["swaks", "openssl"]) {
        return;
    }
    let Some(sink) = SmtpSink::start_or_skip(test) else {
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    let cert = tools::self_signed(certs.path(), "cert", HOSTNAME, &format!("DNS:{HOSTNAME}"));
    let key = certs.path().join("cert.key");
    let backend = format!("  protocol: smtp\n  address: {}", sink.addr);
    let tls = format!(
        "tls:\n  certificate: {}\n  key: {}\n",
        cert.display(),
        key.display()
    );
    let moat = Moat::start(&moat_config(&backend, &tls));
    let message = test_message("e2e-starttls");
    let data = message_file(moat.dir(), &message);
    let transcript = swaks(moat.addr, "alice@example.test", &data, &["--tls"]);
    assert!(transcript.contains("TLS started"), "{transcript}");

    let transactions = sink.wait_transactions(1);
    assert_eq!(transactions.len(), 1, "exactly one transaction");
    let received = assert_relayed_by_moat(&transactions[0].message, &message, "smtp-sink");
    assert!(
        received.contains("with ESMTPS"),
        "Received says the session was encrypted: {received}"
    );
}
