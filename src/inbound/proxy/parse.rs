//! The PROXY protocol (HAProxy, v1 text and v2 binary), sans I/O: a load balancer in front of
//! Moat prefixes each connection with the real client's address. `parse` takes the bytes read
//! so far and says whether the header is complete, incomplete, or not a PROXY header at all;
//! the driver reads more, or refuses the connection. Every input is bounded: v1 headers are at
//! most 107 bytes (the spec's limit), v2 headers at most `V2_MAX` bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
const V1_MAX: usize = 107;
/// Addresses plus a reasonable amount of TLVs (HAProxy's own limit is similar).
pub const V2_MAX: usize = 16 + 1024;

/// A complete header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The original client; `None` for `LOCAL` (health checks) and `UNKNOWN`.
    pub source: Option<SocketAddr>,
    /// Bytes of the header; what follows is the client's SMTP.
    pub consumed: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("not a PROXY protocol header")]
    NotProxy,
    #[error("malformed PROXY header: {0}")]
    Malformed(&'static str),
}

/// `Ok(None)`: a valid prefix so far, read more.
pub fn parse(buf: &[u8]) -> Result<Option<Header>, ProxyError> {
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] == b'\r' {
        parse_v2(buf)
    } else if buf[0] == b'P' {
        parse_v1(buf)
    } else {
        Err(ProxyError::NotProxy)
    }
}

fn parse_v1(buf: &[u8]) -> Result<Option<Header>, ProxyError> {
    let prefix = &buf[..buf.len().min(6)];
    if !b"PROXY ".starts_with(prefix) {
        return Err(ProxyError::NotProxy);
    }
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() >= V1_MAX {
            Err(ProxyError::Malformed("v1 header longer than 107 bytes"))
        } else {
            Ok(None)
        };
    };
    if end + 2 > V1_MAX {
        return Err(ProxyError::Malformed("v1 header longer than 107 bytes"));
    }
    let line =
        std::str::from_utf8(&buf[..end]).map_err(|_| ProxyError::Malformed("v1 not ASCII"))?;
    let parts: Vec<&str> = line.split(' ').collect();
    let consumed = end + 2;
    match parts.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Ok(Some(Header {
            source: None,
            consumed,
        })),
        ["PROXY", family @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let ip: IpAddr = src
                .parse()
                .map_err(|_| ProxyError::Malformed("v1 source address"))?;
            if ip.is_ipv4() != (*family == "TCP4") {
                return Err(ProxyError::Malformed(
                    "v1 address does not match its family",
                ));
            }
            let source_port = port(sport)?;
            port(dport)?;
            dst.parse::<IpAddr>()
                .map_err(|_| ProxyError::Malformed("v1 destination address"))?;
            Ok(Some(Header {
                source: Some(SocketAddr::new(ip, source_port)),
                consumed,
            }))
        }
        _ => Err(ProxyError::Malformed("v1 fields")),
    }
}

fn port(text: &str) -> Result<u16, ProxyError> {
    // The spec forbids leading zeros; a strict parse keeps junk out of logs.
    if text.len() > 1 && text.starts_with('0') {
        return Err(ProxyError::Malformed("v1 port"));
    }
    text.parse().map_err(|_| ProxyError::Malformed("v1 port"))
}

fn parse_v2(buf: &[u8]) -> Result<Option<Header>, ProxyError> {
    let n = buf.len().min(12);
    if buf[..n] != V2_SIGNATURE[..n] {
        return Err(ProxyError::NotProxy);
    }
    if buf.len() < 16 {
        return Ok(None);
    }
    let (version, command) = (buf[12] >> 4, buf[12] & 0x0f);
    if version != 2 {
        return Err(ProxyError::Malformed("v2 version"));
    }
    let len = u16::from_be_bytes([buf[14], buf[15]]) as usize;
    if 16 + len > V2_MAX {
        return Err(ProxyError::Malformed("v2 header too long"));
    }
    if buf.len() < 16 + len {
        return Ok(None);
    }
    let body = &buf[16..16 + len];
    let consumed = 16 + len;
    let source = match (command, buf[13]) {
        (0, _) => None,
        (1, 0x11) if len >= 12 => {
            let ip = Ipv4Addr::new(body[0], body[1], body[2], body[3]);
            Some(SocketAddr::new(
                ip.into(),
                u16::from_be_bytes([body[8], body[9]]),
            ))
        }
        (1, 0x21) if len >= 36 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&body[..16]);
            let port = u16::from_be_bytes([body[32], body[33]]);
            Some(SocketAddr::new(Ipv6Addr::from(octets).into(), port))
        }
        (1, 0x11 | 0x21) => return Err(ProxyError::Malformed("v2 address block too short")),
        // UNSPEC, UDP or UNIX: no client address Moat can use.
        (1, _) => None,
        _ => return Err(ProxyError::Malformed("v2 command")),
    };
    Ok(Some(Header { source, consumed }))
}

#[cfg(test)]
mod tests;
