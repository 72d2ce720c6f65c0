//! The suite's zone data answering Moat's SPF evaluator in memory (no sockets).

use super::suite::{Answer, RecordData, Scenario};
use moat::auth::spf::lookup::{Answer as Found, DnsFail, Lookup};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub struct Zone<'a>(pub &'a Scenario);

impl Zone<'_> {
    fn ask(&self, name: &str, rtype: &str) -> Found<RecordData> {
        match self.0.query(name, rtype) {
            Answer::Timeout => Err(DnsFail::Temp),
            Answer::NxDomain => Err(DnsFail::Void),
            Answer::Records(r) => Ok(r),
        }
    }

    fn texts(&self, name: &str, rtype: &str) -> Found<String> {
        Ok(self
            .ask(name, rtype)?
            .into_iter()
            .filter_map(|d| match d {
                RecordData::Text(t) => Some(t.trim_end_matches('.').to_string()),
                _ => None,
            })
            .collect())
    }
}

impl Lookup for Zone<'_> {
    async fn txt(&self, name: &str) -> Found<Vec<u8>> {
        Ok(self
            .ask(name, "TXT")?
            .into_iter()
            .filter_map(|d| match d {
                RecordData::Strings(s) => Some(s.concat().into_bytes()),
                _ => None,
            })
            .collect())
    }

    async fn a(&self, name: &str) -> Found<Ipv4Addr> {
        Ok(self
            .texts(name, "A")?
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect())
    }

    async fn aaaa(&self, name: &str) -> Found<Ipv6Addr> {
        Ok(self
            .texts(name, "AAAA")?
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect())
    }

    async fn mx(&self, name: &str) -> Found<String> {
        Ok(self
            .ask(name, "MX")?
            .into_iter()
            .filter_map(|d| match d {
                RecordData::Mx(_, n) => Some(n.trim_end_matches('.').to_string()),
                _ => None,
            })
            .collect())
    }

    async fn ptr(&self, ip: IpAddr) -> Found<String> {
        self.texts(&reverse(ip), "PTR")
    }
}

pub fn reverse(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut out = String::new();
            for b in v6.octets().iter().rev() {
                out.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            out + "ip6.arpa"
        }
    }
}
