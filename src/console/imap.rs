//! Recipients' logins: `LOGIN` against the backend's IMAP server, which already knows every
//! mailbox's password. Implicit TLS (`imaps://`, certificate checked against the system's CA
//! bundle or `console.imap_ca`) or plain IMAP to a loopback address only (config check).
//! Nothing is kept: the answer is yes or no.

use crate::config::console::ImapTarget;
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// Time for the whole exchange: an unreachable IMAP server fails the login, not the page.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest server line read: a greeting or a tagged reply, never a message.
const MAX_LINE: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("IMAP server: {0}")]
    Io(#[from] std::io::Error),
    #[error("IMAP server: no answer within {0:?}")]
    Timeout(Duration),
    #[error("IMAP server: {0}")]
    Protocol(String),
    #[error("IMAP CA file {0}: {1}")]
    Ca(String, String),
}

/// Whether the IMAP server accepts `user`/`password`. Names or passwords with control
/// characters or quotes that cannot be sent as an IMAP quoted string are refused unsent.
pub async fn login(
    target: &ImapTarget,
    ca: Option<&Path>,
    user: &str,
    password: &str,
) -> Result<bool, ImapError> {
    let (Some(user), Some(password)) = (quoted(user), quoted(password)) else {
        return Ok(false);
    };
    tokio::time::timeout(TIMEOUT, async {
        match target {
            ImapTarget::Plain { addr } => {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                exchange(tcp, &user, &password).await
            }
            ImapTarget::Tls { host, port } => {
                let tcp = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                let name = ServerName::try_from(host.clone())
                    .map_err(|_| ImapError::Protocol(format!("`{host}` is not a server name")))?;
                let tls = connector(ca)?.connect(name, tcp).await?;
                exchange(tls, &user, &password).await
            }
        }
    })
    .await
    .map_err(|_| ImapError::Timeout(TIMEOUT))?
}

fn connector(ca: Option<&Path>) -> Result<tokio_rustls::TlsConnector, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let err = |e: String| ImapError::Ca(path.display().to_string(), e);
            for cert in rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| err(e.to_string()))?
            {
                roots
                    .add(cert.map_err(|e| err(e.to_string()))?)
                    .map_err(|e| err(e.to_string()))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Protocol(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Greeting, `LOGIN`, `LOGOUT`.
async fn exchange(
    stream: impl AsyncRead + AsyncWrite + Unpin,
    user: &str,
    password: &str,
) -> Result<bool, ImapError> {
    let mut s = BufReader::new(stream);
    let greeting = read_line(&mut s).await?;
    if !greeting.starts_with("* OK") {
        return Err(ImapError::Protocol(format!(
            "greeting: {}",
            greeting.trim_end()
        )));
    }
    s.get_mut()
        .write_all(format!("m1 LOGIN {user} {password}\r\n").as_bytes())
        .await?;
    let ok = loop {
        let line = read_line(&mut s).await?;
        if let Some(rest) = line.strip_prefix("m1 ") {
            break rest.starts_with("OK");
        }
    };
    let _ = s.get_mut().write_all(b"m2 LOGOUT\r\n").await;
    Ok(ok)
}

async fn read_line(s: &mut (impl tokio::io::AsyncBufRead + Unpin)) -> Result<String, ImapError> {
    let mut buf = Vec::new();
    let n = tokio::io::AsyncReadExt::take(&mut *s, MAX_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Err(ImapError::Protocol("connection closed".into()));
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// An IMAP quoted string (RFC 9051): printable ASCII and UTF-8, `\` and `"` escaped; no
/// CR, LF or NUL, which would end or split the command.
fn quoted(s: &str) -> Option<String> {
    if s.is_empty() || s.len() > 512 || s.chars().any(|c| c.is_control()) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests;
