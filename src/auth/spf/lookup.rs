//! The DNS questions SPF asks, as a trait: Moat's resolver answers them in production, a
//! zone in memory answers them in the conformance tests.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a lookup gave no records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsFail {
    /// NXDOMAIN, or an answer without records of the type: a "void lookup" (RFC 7208 4.6.4).
    Void,
    /// Timeout, SERVFAIL or any other failure: the answer is unknown.
    Temp,
}

pub type Answer<T> = Result<Vec<T>, DnsFail>;

/// Names are absolute, without the trailing dot, and already checked to be valid DNS names.
pub trait Lookup: Sync {
    /// TXT records, each one's strings concatenated.
    fn txt(&self, name: &str) -> impl Future<Output = Answer<Vec<u8>>> + Send;
    fn a(&self, name: &str) -> impl Future<Output = Answer<Ipv4Addr>> + Send;
    fn aaaa(&self, name: &str) -> impl Future<Output = Answer<Ipv6Addr>> + Send;
    /// MX exchanges, without trailing dots.
    fn mx(&self, name: &str) -> impl Future<Output = Answer<String>> + Send;
    /// PTR names of the address, without trailing dots.
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = Answer<String>> + Send;
}

mod resolver {
    use super::{Answer, DnsFail, Lookup};
    use mail_auth::hickory_resolver::net::NetError;
    use mail_auth::hickory_resolver::proto::op::ResponseCode;
    use mail_auth::hickory_resolver::proto::rr::{Name, RData, RecordType};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    impl crate::dns::Resolver {
        /// Records of one type; CNAMEs are followed by the resolver.
        async fn records(&self, name: &str, rtype: RecordType) -> Answer<RData> {
            // Labels go out as the octets they are: a domain-spec may hold any visible
            // character (`:`, `/`, `%`, a space from `%_`), which DNS carries as data.
            let name =
                Name::from_labels(name.split('.').map(str::as_bytes)).map_err(|_| DnsFail::Void)?;
            match self.resolver().lookup(name, rtype).await {
                Ok(lookup) => Ok(lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == rtype)
                    .map(|r| r.data.clone())
                    .collect()),
                Err(e) => Err(fail(&e)),
            }
        }
    }

    /// NXDOMAIN and NODATA are void; every other failure is temporary.
    fn fail(e: &NetError) -> DnsFail {
        if let NetError::Dns(mail_auth::hickory_resolver::net::DnsError::NoRecordsFound(n)) = e
            && matches!(
                n.response_code,
                ResponseCode::NXDomain | ResponseCode::NoError
            )
        {
            return DnsFail::Void;
        }
        DnsFail::Temp
    }

    /// The labels' octets joined by dots: `to_ascii` would escape `:` or `/`, which a
    /// domain-spec compares and queries as they are.
    fn name(n: &Name) -> String {
        let labels: Vec<String> = n
            .iter()
            .map(|l| String::from_utf8_lossy(l).to_ascii_lowercase())
            .collect();
        labels.join(".")
    }

    impl Lookup for crate::dns::Resolver {
        async fn txt(&self, name: &str) -> Answer<Vec<u8>> {
            let records = self.records(name, RecordType::TXT).await?;
            Ok(records
                .iter()
                .filter_map(|r| match r {
                    RData::TXT(txt) => Some(txt.txt_data.concat()),
                    _ => None,
                })
                .collect())
        }

        async fn a(&self, name: &str) -> Answer<Ipv4Addr> {
            let records = self.records(name, RecordType::A).await?;
            Ok(records
                .iter()
                .filter_map(|r| match r {
                    RData::A(a) => Some(a.0),
                    _ => None,
                })
                .collect())
        }

        async fn aaaa(&self, name: &str) -> Answer<Ipv6Addr> {
            let records = self.records(name, RecordType::AAAA).await?;
            Ok(records
                .iter()
                .filter_map(|r| match r {
                    RData::AAAA(a) => Some(a.0),
                    _ => None,
                })
                .collect())
        }

        async fn mx(&self, name: &str) -> Answer<String> {
            let records = self.records(name, RecordType::MX).await?;
            Ok(records
                .iter()
                .filter_map(|r| match r {
                    RData::MX(mx) => Some(self::name(&mx.exchange)),
                    _ => None,
                })
                .collect())
        }

        async fn ptr(&self, ip: IpAddr) -> Answer<String> {
            let records = self.records(&reverse_name(ip), RecordType::PTR).await?;
            Ok(records
                .iter()
                .filter_map(|r| match r {
                    RData::PTR(p) => Some(self::name(&p.0)),
                    _ => None,
                })
                .collect())
        }
    }

    /// `4.3.2.1.in-addr.arpa` or the nibble form under `ip6.arpa`.
    fn reverse_name(ip: IpAddr) -> String {
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
}
