//! `moat health`: asks the running server's admin listener `GET /readyz` and turns the answer
//! into an exit status.
//!
//! A container runtime's `HEALTHCHECK` runs a program inside the image, and Moat's image has
//! no shell and no curl (distroless): the `moat` binary itself is the probe. It reads the
//! same configuration file as `moat serve`, so the probe always asks the port the server
//! listens on.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Longer than the backend probe behind `/readyz` (5 s), so a slow backend is reported as
/// "not ready" by the server rather than as a timeout here.
pub const TIMEOUT: Duration = Duration::from_secs(8);
/// The answer head and the short text body fit in far less; more is not read.
const MAX_ANSWER: u64 = 16 * 1024;

/// Why the server is not healthy, for the one line `moat health` prints.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error("the configuration has no admin listener (admin.listen): nothing to ask")]
    NoAdmin,
    #[error("cannot ask {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr} answered something that is not HTTP")]
    NotHttp { addr: SocketAddr },
    #[error("{addr} answered {status}: {text}")]
    Status {
        addr: SocketAddr,
        status: u16,
        text: String,
    },
}

/// Where to connect for a listener bound to `listen`: an unspecified address (0.0.0.0, ::)
/// accepts on loopback too, and loopback is what a probe inside the same host can reach.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `GET /readyz` on the admin listener; `Ok` with the body's first line when it answers 200.
pub fn readyz(admin: Option<SocketAddr>, timeout: Duration) -> Result<String, Unhealthy> {
    let addr = target(admin.ok_or(Unhealthy::NoAdmin)?);
    let io = |source| Unhealthy::Io { addr, source };
    let mut tcp = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    tcp.set_read_timeout(Some(timeout)).map_err(io)?;
    tcp.set_write_timeout(Some(timeout)).map_err(io)?;
    tcp.write_all(b"GET /readyz HTTP/1.1\r\nHost: moat\r\nConnection: close\r\n\r\n")
        .map_err(io)?;
    let mut answer = Vec::new();
    tcp.take(MAX_ANSWER).read_to_end(&mut answer).map_err(io)?;
    let (status, text) = parse_answer(&answer).ok_or(Unhealthy::NotHttp { addr })?;
    if status == 200 {
        Ok(text)
    } else {
        Err(Unhealthy::Status { addr, status, text })
    }
}

/// The status code and the body's first line of an HTTP/1.x answer.
fn parse_answer(answer: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(answer);
    let status_line = text.lines().next()?;
    let mut parts = status_line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Some((status, body.lines().next().unwrap_or("").to_string()))
}

#[cfg(test)]
mod tests;
