//! STARTTLS: rustls server configuration from PEM files. TLS 1.2 and 1.3 only, with rustls'
//! default (modern, AEAD-only) cipher suites on the ring provider.

use crate::config::TlsFiles;
use crate::message::headers::TlsInfo;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls.certificate {path}: {message}")]
    Certificate { path: PathBuf, message: String },
    #[error("tls.key {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

impl TlsError {
    /// The configuration key to blame, and what is wrong, for a configuration error.
    pub fn key_and_message(&self) -> (&'static str, String) {
        match self {
            TlsError::Certificate { path, message } => {
                ("tls.certificate", format!("{}: {message}", path.display()))
            }
            TlsError::Key { path, message } => {
                ("tls.key", format!("{}: {message}", path.display()))
            }
            TlsError::Rustls(rustls::Error::InconsistentKeys(_)) => (
                "tls.key",
                "does not belong to the certificate (tls.certificate's first, leaf, certificate)"
                    .to_string(),
            ),
            TlsError::Rustls(e) => ("tls.certificate", format!("refused by TLS: {e}")),
        }
    }
}

/// Builds the acceptor for STARTTLS from the configured certificate chain and key.
pub fn acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    acceptor_checked(files).map_err(|mut errors| errors.remove(0))
}

/// Like `acceptor`, with every problem: an unreadable certificate and an unreadable key are
/// both reported; a key that does not match the certificate, or a certificate that is not
/// one, is refused here rather than at the first client's handshake.
pub fn acceptor_checked(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, Vec<TlsError>> {
    let certs = certificates(files);
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        message: pem_message(e, "private key"),
    });
    let (certs, key) = match (certs, key) {
        (Ok(c), Ok(k)) => (c, k),
        (c, k) => return Err([c.err(), k.err()].into_iter().flatten().collect()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| vec![TlsError::from(e)])?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

fn certificates(files: &TlsFiles) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let error = |message: String| TlsError::Certificate {
        path: files.certificate.clone(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.certificate)
        .and_then(|iter| iter.collect())
        .map_err(|e| error(pem_message(e, "certificate")))?;
    if certs.is_empty() {
        return Err(error("no PEM certificate found".into()));
    }
    Ok(certs)
}

/// The PEM reader's error, in the words of the file it was reading.
fn pem_message(e: rustls_pki_types::pem::Error, what: &str) -> String {
    match e {
        rustls_pki_types::pem::Error::NoItemsFound => format!("no PEM {what} found"),
        rustls_pki_types::pem::Error::Io(io) => format!("cannot read: {io}"),
        other => format!("not a PEM {what}: {other}"),
    }
}

/// Version and cipher of an established server connection.
pub fn info(conn: &rustls::ServerConnection) -> TlsInfo {
    let version = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_else(|| "unknown".into());
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_else(|| "unknown".into());
    TlsInfo { version, cipher }
}
