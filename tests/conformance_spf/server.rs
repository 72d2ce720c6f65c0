//! One suite scenario served over real DNS on loopback (hickory-server, UDP and TCP on one
//! port), answering as the suite's driver does (suite.rs): a timeout is no answer at all, a
//! missing name is NXDOMAIN, CNAMEs are answered with the target's records.

use super::suite::{Answer, RecordData, Scenario};
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, MX, PTR, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use std::net::SocketAddr;
use std::sync::Arc;

/// Binds a free loopback port and serves `scenario` on the current runtime.
pub async fn serve(scenario: Arc<Scenario>) -> SocketAddr {
    crate::common::dns::serve_on_loopback(|| Handler(scenario.clone())).await
}

struct Handler(Arc<Scenario>);

/// The suite's record data as DNS data, for the type asked; `None` for what DNS cannot carry.
fn rdata(rtype: RecordType, data: &RecordData) -> Option<RData> {
    let name =
        |n: &str| Name::from_labels(n.trim_end_matches('.').split('.').map(str::as_bytes)).ok();
    Some(match (rtype, data) {
        (RecordType::A, RecordData::Text(t)) => RData::A(A(t.parse().ok()?)),
        (RecordType::AAAA, RecordData::Text(t)) => RData::AAAA(AAAA(t.parse().ok()?)),
        (RecordType::PTR, RecordData::Text(t)) => RData::PTR(PTR(name(t)?)),
        (RecordType::MX, RecordData::Mx(pref, n)) => RData::MX(MX::new(*pref, name(n)?)),
        (RecordType::TXT, RecordData::Strings(parts)) => {
            // Character-strings hold at most 255 octets each.
            let mut chunks = Vec::new();
            for part in parts {
                let bytes = part.as_bytes();
                if bytes.is_empty() {
                    chunks.push(Vec::new());
                }
                chunks.extend(bytes.chunks(255).map(<[u8]>::to_vec));
            }
            // A TXT record holds one or more character-strings (RFC 1035 3.3.14): the suite's
            // record without strings goes out as one empty string, the nearest thing DNS can
            // carry (the in-memory run checks the evaluator on no strings at all).
            if chunks.is_empty() {
                chunks.push(Vec::new());
            }
            RData::TXT(TXT::from_bytes(chunks.iter().map(Vec::as_slice).collect()))
        }
        _ => return None,
    })
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response: R,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let silent = ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        });
        let Ok(info) = request.request_info() else {
            return silent;
        };
        let owner = info.query.name().clone();
        let rtype = info.query.query_type();
        // The labels' octets as text: names with `:`, `/` or spaces stay as the zone spells them.
        let name: Vec<String> = owner
            .iter()
            .map(|l| String::from_utf8_lossy(l).to_ascii_lowercase())
            .collect();
        let name = name.join(".");
        let (code, records) = match self.0.query(&name, &rtype.to_string()) {
            Answer::Timeout => return silent,
            Answer::NxDomain => (ResponseCode::NXDomain, Vec::new()),
            Answer::Records(found) => (
                ResponseCode::NoError,
                found
                    .iter()
                    .filter_map(|d| rdata(rtype, d))
                    .map(|d| Record::from_rdata(owner.clone().into(), 0, d))
                    .collect(),
            ),
        };
        metadata.authoritative = true;
        metadata.response_code = code;
        let builder = MessageResponseBuilder::from_message_request(request);
        let message = builder.build(
            metadata,
            records.iter(),
            std::iter::empty(),
            std::iter::empty(),
            std::iter::empty(),
        );
        response.send_response(message).await.unwrap_or(silent)
    }
}
