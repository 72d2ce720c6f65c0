//! Query names for DNS lists: an IPv4 address reversed by octet (`2.0.0.127`), an IPv6
//! address reversed by nibble (RFC 5782 2.4), a domain as is.

use std::net::IpAddr;

/// The part before the zone: `1.2.3.4` → `4.3.2.1`; `2001:db8::1` → `1.0.0.0…8.b.d.0.1.0.0.2`.
pub fn reversed(ip: IpAddr) -> String {
    // An IPv4-mapped IPv6 client (dual-stack socket) is an IPv4 client to the lists.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut parts = Vec::with_capacity(32);
            for byte in v6.octets().iter().rev() {
                parts.push(format!("{:x}", byte & 0x0f));
                parts.push(format!("{:x}", byte >> 4));
            }
            parts.join(".")
        }
    }
}

#[cfg(test)]
mod tests;
