//! TLS for `moat learn --imap`: a blocking rustls client that verifies the server's
//! certificate against the system's CA bundle, or against the CAs of `--ca FILE` (a private CA
//! or a self-signed backend certificate). There is no option to skip verification: a password
//! sent over an unverified channel is a password given away.

use anyhow::{Context, bail};
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::CertificateDer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The connection to the IMAP server, before or after TLS.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// What the client trusts: the CAs of `ca` (PEM), or the system's.
pub struct Trust {
    config: Arc<ClientConfig>,
    /// The `--ca` file, named in errors.
    ca: Option<PathBuf>,
}

impl Trust {
    pub fn new(ca: Option<&Path>) -> anyhow::Result<Trust> {
        let mut roots = RootCertStore::empty();
        let certs = match ca {
            Some(path) => read_certs(path)?,
            None => system_certs()?,
        };
        let (added, _ignored) = roots.add_parsable_certificates(certs);
        if added == 0 {
            bail!("no usable CA certificate in {}", describe(ca));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust {
            config: Arc::new(config),
            ca: ca.map(Path::to_path_buf),
        })
    }

    /// Handshakes over `tcp` with `host` (a name or an IP address, as in the URL) and verifies
    /// its certificate; the error says why verification failed and what to do about it.
    pub fn connect(&self, tcp: TcpStream, host: &str) -> anyhow::Result<Conn> {
        let name = ServerName::try_from(host.to_string())
            .with_context(|| format!("`{host}` is not a host name or IP address for TLS"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut tcp = tcp;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                bail!("TLS handshake with {host} failed: {e}{}", self.hint(&e));
            }
        }
        Ok(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }

    fn hint(&self, e: &std::io::Error) -> String {
        let certificate = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)));
        match (&self.ca, certificate) {
            (_, false) => String::new(),
            (None, true) => " (the server's certificate is not trusted by the system CA bundle; \
                 for a private CA or a self-signed certificate pass --ca FILE)"
                .into(),
            (Some(ca), true) => format!(
                " (the server's certificate is not signed by a CA in {}, or does not name this host)",
                ca.display()
            ),
        }
    }
}

fn describe(ca: Option<&Path>) -> String {
    match ca {
        Some(p) => p.display().to_string(),
        None => "the system CA bundle".into(),
    }
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect())
        .with_context(|| format!("reading CA certificates from {}", path.display()))?;
    if certs.is_empty() {
        bail!("{}: no PEM certificate found", path.display());
    }
    Ok(certs)
}

/// The system's trust store, as `rustls-native-certs` finds it: `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` first (as for OpenSSL), else the distribution's bundle and directory.
/// Unreadable entries are skipped as long as some certificates load.
fn system_certs() -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let why = found
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        bail!(
            "no system CA certificates found{why}; install ca-certificates, set SSL_CERT_FILE or pass --ca FILE"
        );
    }
    Ok(found.certs)
}
