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
mod tests {
    use super::*;

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut out = V2_SIGNATURE.to_vec();
        out.extend([0x20 | command, family]);
        out.extend((body.len() as u16).to_be_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn proxy_v1_tcp4_tcp6_and_unknown() {
        let h = parse(b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\nEHLO x\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
        assert_eq!(h.consumed, 44);
        let h = parse(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 25\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.source, Some("[2001:db8::1]:1".parse().unwrap()));
        assert_eq!(parse(b"PROXY UNKNOWN\r\n").unwrap().unwrap().source, None);
    }

    #[test]
    fn proxy_v1_and_v2_in_any_chunking_are_incomplete_until_whole() {
        let v1 = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\n".to_vec();
        let v2 = v2(1, 0x11, &[192, 0, 2, 7, 198, 51, 100, 1, 0xdc, 0x04, 0, 25]);
        for whole in [v1, v2] {
            for cut in 0..whole.len() {
                assert_eq!(parse(&whole[..cut]), Ok(None), "cut at {cut}");
            }
            let h = parse(&whole).unwrap().unwrap();
            assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
            assert_eq!(h.consumed, whole.len());
        }
    }

    #[test]
    fn proxy_v2_ipv6_local_and_tlvs() {
        let mut body = vec![0u8; 36];
        body[0] = 0x20;
        body[1] = 0x01;
        body[15] = 9;
        body[32..34].copy_from_slice(&2525u16.to_be_bytes());
        body.extend([0x04, 0, 1, 0]); // a NOOP TLV
        let h = parse(&v2(1, 0x21, &body)).unwrap().unwrap();
        assert_eq!(h.source, Some("[2001::9]:2525".parse().unwrap()));
        assert_eq!(parse(&v2(0, 0, &[])).unwrap().unwrap().source, None);
    }

    #[test]
    fn proxy_plain_smtp_and_junk_are_refused() {
        for bad in [
            &b"EHLO client.test\r\n"[..],
            b"GET / HTTP/1.1\r\n",
            b"PROXYX",
            b"\r\n\r\nX",
        ] {
            assert_eq!(parse(bad), Err(ProxyError::NotProxy), "{bad:?}");
        }
        assert!(parse(b"PROXY TCP4 999.0.2.7 198.51.100.1 1 25\r\n").is_err());
        assert!(parse(b"PROXY TCP4 2001:db8::1 198.51.100.1 1 25\r\n").is_err());
        assert!(parse(b"PROXY TCP4 192.0.2.7 198.51.100.1 01 25\r\n").is_err());
        assert!(parse(&[b"PROXY ".as_slice(), &[b'A'; 120]].concat()).is_err());
        assert!(parse(&v2(1, 0x11, &[1, 2, 3])).is_err());
        let mut long = V2_SIGNATURE.to_vec();
        long.extend([0x21, 0x11, 0xff, 0xff]);
        assert!(
            parse(&long).is_err(),
            "length over the bound refused before buffering it"
        );
    }
}
