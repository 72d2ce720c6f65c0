//! PROXY protocol listeners: Moat behind HAProxy or a load balancer learns the real client
//! address from the header the balancer sends first (`parse`), and uses it everywhere — logs,
//! limits, DNSBL, SPF — as if the client had connected directly.

pub mod parse;

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads the PROXY header from a new connection, within `timeout`. Returns the client address
/// (`None` for LOCAL/UNKNOWN: the balancer's own check, Moat keeps the socket's address) and
/// any bytes read past the header, which belong to the SMTP session.
pub async fn read_header(
    tcp: &mut TcpStream,
    timeout: Duration,
) -> Result<(Option<SocketAddr>, Vec<u8>), String> {
    let read = async {
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 512];
        loop {
            match parse::parse(&buf) {
                Ok(Some(header)) => return Ok((header.source, buf.split_off(header.consumed))),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            // Never read more than the largest header could need plus one chunk.
            if buf.len() > parse::V2_MAX {
                return Err("PROXY header too long".into());
            }
            match tcp.read(&mut chunk).await {
                Ok(0) => return Err("closed before a PROXY header".into()),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err("no PROXY header in time".into()))
}
