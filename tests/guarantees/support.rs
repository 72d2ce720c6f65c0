//! Helpers shared by the guarantee tests: configuration builder, reply parsing, a small
//! SMTP transaction driver and TLS client plumbing.

use crate::common::client::TcpClient;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::Moat;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A Moat test configuration. Defaults are short so that the suite stays quick.
pub struct Conf {
    pub backend: SocketAddr,
    pub protocol: &'static str,
    pub bare_newline: &'static str,
    pub tls: Option<(PathBuf, PathBuf)>,
    limits: Vec<(&'static str, String)>,
    timeouts: Vec<(&'static str, String)>,
}

impl Conf {
    pub fn new(backend: SocketAddr) -> Conf {
        Conf {
            backend,
            protocol: "smtp",
            bare_newline: "reject",
            tls: None,
            limits: vec![
                ("max_connections", "100".into()),
                ("max_connections_per_ip", "50".into()),
                ("max_message_size", "1MiB".into()),
                ("max_recipients", "50".into()),
                ("max_command_line", "2048".into()),
                ("max_data_line", "64KiB".into()),
                ("max_bad_commands", "20".into()),
                ("max_commands", "1000".into()),
            ],
            timeouts: vec![
                ("greeting", "10s".into()),
                ("command", "10s".into()),
                ("data", "10s".into()),
                ("session", "60s".into()),
            ],
        }
    }

    pub fn for_backend(b: &FaultBackend) -> Conf {
        Conf::new(b.addr)
    }

    pub fn limit(mut self, key: &'static str, value: &str) -> Conf {
        match self.limits.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.limits.push((key, value.to_string())),
        }
        self
    }

    pub fn timeout(mut self, key: &'static str, value: &str) -> Conf {
        match self.timeouts.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.timeouts.push((key, value.to_string())),
        }
        self
    }

    /// `smtp` (the default) or `lmtp`.
    pub fn protocol(mut self, protocol: &'static str) -> Conf {
        self.protocol = protocol;
        self
    }

    pub fn bare_newline(mut self, mode: &'static str) -> Conf {
        self.bare_newline = mode;
        self
    }

    pub fn tls(mut self, cert: &Path, key: &Path) -> Conf {
        self.tls = Some((cert.to_path_buf(), key.to_path_buf()));
        self
    }

    pub fn render(&self) -> String {
        let mut y = String::new();
        y.push_str("hostname: mx.example.test\n");
        y.push_str("listen:\n  - 127.0.0.1:{PORT}\n");
        y.push_str("domains:\n  - example.test\n");
        y.push_str(&format!(
            "backend:\n  protocol: {}\n  address: {}\n  timeouts:\n    connect: 2s\n    command: 2s\n    data: 2s\n",
            self.protocol, self.backend
        ));
        if let Some((c, k)) = &self.tls {
            y.push_str(&format!(
                "tls:\n  certificate: {}\n  key: {}\n",
                c.display(),
                k.display()
            ));
        }
        y.push_str(&format!("smtp:\n  bare_newline: {}\n", self.bare_newline));
        y.push_str("limits:\n");
        for (k, v) in &self.limits {
            y.push_str(&format!("  {k}: {v}\n"));
        }
        y.push_str("  timeouts:\n");
        for (k, v) in &self.timeouts {
            y.push_str(&format!("    {k}: {v}\n"));
        }
        y.push_str("shutdown_grace: 1s\n");
        y.push_str("log:\n  format: text\n  level: info\n");
        y
    }

    pub fn start(&self) -> Moat {
        Moat::start(&self.render())
    }
}

/// The barrier before a "nothing more arrives" check: Moat stopped gracefully (every session
/// and every relay it had begun finished) and every backend connection ended. A late or
/// duplicated delivery would be in the backend by then; no sleep guesses how long it takes.
pub fn settle(moat: &mut Moat, backend: &FaultBackend) {
    let status = moat.terminate();
    assert!(
        status.success(),
        "moat stopped with {status}:\n{}",
        moat.log()
    );
    assert!(
        backend.wait_closed(Duration::from_secs(10)),
        "backend connections still open 10 s after Moat exited"
    );
}

/// The three-digit code of a reply (0 when the reply is empty: connection closed).
pub fn code(reply: &str) -> u16 {
    reply.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Asserts that `reply` starts with `prefix` (e.g. `"550 5.7.1"`), with a useful message.
#[track_caller]
pub fn expect(reply: &str, prefix: &str, what: &str) {
    assert!(
        reply.starts_with(prefix),
        "{what}: expected a reply starting with {prefix:?}, got {reply:?}"
    );
}

/// Connects, reads the greeting and says EHLO. Returns the client and the EHLO reply.
pub fn connect_ehlo(moat: &Moat) -> (TcpClient, String) {
    let mut c = TcpClient::connect(moat.addr);
    let greeting = c.reply();
    expect(&greeting, "220 ", "greeting");
    let ehlo = c.cmd("EHLO client.test");
    expect(&ehlo, "250", "EHLO");
    (c, ehlo)
}

/// The stage a transaction reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Mail,
    Rcpt,
    Data,
    EndOfData,
}

/// What the client saw in one transaction.
#[derive(Debug)]
pub struct Outcome {
    /// The stage of the last command sent.
    pub stage: Stage,
    /// The reply that ended the transaction (the end-of-data reply when it got that far).
    pub reply: String,
    /// Every reply, in order, labelled.
    pub replies: Vec<(String, String)>,
}

impl Outcome {
    /// True when the client got a 2xx to the end of data: the message is the server's now.
    pub fn delivered(&self) -> bool {
        self.stage == Stage::EndOfData && code(&self.reply) / 100 == 2
    }
}

/// A message with a unique marker, `size` bytes of body (lines of 70 characters).
pub fn message(marker: &str, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: a@sender.test\r\nTo: alice@example.test\r\nSubject: {marker}\r\nMessage-ID: <{marker}@sender.test>\r\n\r\n{marker}\r\n"
    )
    .into_bytes();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m
}

/// Runs MAIL / RCPT... / DATA / message / end of data, stopping at the first refusal.
/// `body` must not contain the terminator; it is sent as is (no dot-stuffing needed for the
/// messages this suite builds) followed by `\r\n.\r\n`.
pub fn transact(c: &mut TcpClient, from: &str, rcpts: &[&str], body: &[u8]) -> Outcome {
    let mut replies = Vec::new();
    let r = c.cmd(&format!("MAIL FROM:<{from}>"));
    replies.push(("MAIL".to_string(), r.clone()));
    if code(&r) != 250 {
        return Outcome {
            stage: Stage::Mail,
            reply: r,
            replies,
        };
    }
    let mut accepted = 0;
    let mut last = String::new();
    for rcpt in rcpts {
        let r = c.cmd(&format!("RCPT TO:<{rcpt}>"));
        replies.push((format!("RCPT {rcpt}"), r.clone()));
        if code(&r) / 100 == 2 {
            accepted += 1;
        }
        last = r;
    }
    if accepted == 0 {
        return Outcome {
            stage: Stage::Rcpt,
            reply: last,
            replies,
        };
    }
    let r = c.cmd("DATA");
    replies.push(("DATA".to_string(), r.clone()));
    if code(&r) != 354 {
        return Outcome {
            stage: Stage::Data,
            reply: r,
            replies,
        };
    }
    // Send in chunks; a server that gives up early may close the connection.
    let mut failed = false;
    for chunk in body.chunks(64 * 1024) {
        if c.stream.write_all(chunk).is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        let _ = c.stream.write_all(b"\r\n.\r\n");
    }
    let r = c.reply();
    replies.push(("end of data".to_string(), r.clone()));
    Outcome {
        stage: Stage::EndOfData,
        reply: r,
        replies,
    }
}

/// The text of the first `ref=` token in a reply, if any.
pub fn reference(reply: &str) -> Option<String> {
    let at = reply.find("ref=")?;
    let rest = &reply[at + 4..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    let token = rest[..end].trim_end_matches('.');
    (!token.is_empty()).then(|| token.to_string())
}

/// The unfolded header fields of a message (name, value) up to the first empty line.
pub fn headers(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

/// A self-signed certificate for mx.example.test made by openssl in `dir`: (cert, key).
pub fn make_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=mx.example.test",
        ])
        .args(["-addext", "subjectAltName=DNS:mx.example.test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

/// A rustls client configuration that trusts exactly the certificate in `cert_pem`.
pub fn tls_client_config(cert_pem: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let cert = rustls::pki_types::CertificateDer::from_pem_file(cert_pem).expect("read cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned {
        cert,
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Accepts exactly one certificate (the test's self-signed one); signatures are still checked.
#[derive(Debug)]
struct Pinned {
    cert: rustls::pki_types::CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the test certificate".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Plain TCP connection to Moat with a read timeout.
pub fn tcp(addr: SocketAddr) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Upgrades `tcp` to TLS with the pinned-certificate client config.
pub fn tls_upgrade(
    tcp: std::net::TcpStream,
    config: Arc<rustls::ClientConfig>,
) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    let name = rustls::pki_types::ServerName::try_from("mx.example.test").unwrap();
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // Drive the handshake to completion now, so failures show up here.
    while s.conn.is_handshaking() {
        s.conn
            .complete_io(&mut s.sock)
            .expect("TLS handshake with Moat");
    }
    s
}

/// VmRSS of a process in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
