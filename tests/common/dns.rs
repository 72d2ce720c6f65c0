//! A real DNS server on loopback for tests: an in-process hickory-server on 127.0.0.1 (UDP and
//! TCP on the same port) answering authoritatively from a test zone that tests edit at will.
//! Moat's production resolver talks to it over the wire, so tests exercise the real lookup
//! path. It can drop queries (no answer at all) for chosen names or for everything, which is
//! what an unreachable or dead DNS server looks like to a resolver.

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, MX, PTR, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Zone {
    /// (lower-case name with trailing dot, type) → record data.
    records: Mutex<HashMap<(String, RecordType), Vec<RData>>>,
    /// Queries for these names (and their subdomains) are silently dropped.
    dropped: Mutex<HashSet<String>>,
    drop_all: AtomicBool,
    queries: AtomicUsize,
    tcp_queries: AtomicUsize,
    /// Notified at every query, for `wait_queries` (the mutex only orders the wake-ups).
    asked: (Mutex<()>, std::sync::Condvar),
}

/// The running server. Records are served with TTL 0, so a change is seen at the next lookup.
#[derive(Clone)]
pub struct TestDns {
    pub addr: SocketAddr,
    zone: Arc<Zone>,
}

fn fqdn(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name.ends_with('.') {
        name
    } else {
        format!("{name}.")
    }
}

impl TestDns {
    /// For a synchronous test: the server on a runtime of its own, which must live as long as
    /// the server is needed.
    pub fn start_with_runtime() -> (tokio::runtime::Runtime, TestDns) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dns = rt.block_on(TestDns::start());
        (rt, dns)
    }

    /// Binds UDP and TCP on one free loopback port and serves on the current tokio runtime.
    pub async fn start() -> TestDns {
        let zone = Arc::new(Zone::default());
        let addr = serve_on_loopback(|| Handler(zone.clone())).await;
        TestDns { addr, zone }
    }

    fn add(&self, name: &str, rtype: RecordType, data: RData) {
        let mut records = self.zone.records.lock().unwrap();
        records.entry((fqdn(name), rtype)).or_default().push(data);
    }

    /// A TXT record; long strings are split into 255-byte character-strings.
    pub fn txt(&self, name: &str, text: &str) {
        let chunks = text
            .as_bytes()
            .chunks(255)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        self.add(name, RecordType::TXT, RData::TXT(TXT::new(chunks)));
    }

    pub fn a(&self, name: &str, ip: Ipv4Addr) {
        self.add(name, RecordType::A, RData::A(A(ip)));
    }

    pub fn mx(&self, name: &str, preference: u16, exchange: &str) {
        let exchange = Name::from_ascii(fqdn(exchange)).unwrap();
        self.add(
            name,
            RecordType::MX,
            RData::MX(MX::new(preference, exchange)),
        );
    }

    /// A PTR record for an IPv4 address (`in-addr.arpa`).
    pub fn ptr(&self, ip: Ipv4Addr, target: &str) {
        let o = ip.octets();
        let name = format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]);
        let target = Name::from_ascii(fqdn(target)).unwrap();
        self.add(&name, RecordType::PTR, RData::PTR(PTR(target)));
    }

    /// Removes every record of `name`.
    pub fn remove(&self, name: &str) {
        let name = fqdn(name);
        self.zone
            .records
            .lock()
            .unwrap()
            .retain(|(n, _), _| *n != name);
    }

    /// Queries for `name` and its subdomains get no answer from now on.
    pub fn drop_queries_for(&self, name: &str) {
        self.zone.dropped.lock().unwrap().insert(fqdn(name));
    }

    /// The server stops answering anything (or starts again).
    pub fn set_dead(&self, dead: bool) {
        self.zone.drop_all.store(dead, Ordering::SeqCst);
    }

    /// Queries received so far (answered or dropped).
    pub fn queries(&self) -> usize {
        self.zone.queries.load(Ordering::SeqCst)
    }

    /// Waits (up to `within`) until `n` queries have been received; false on timeout.
    pub fn wait_queries(&self, n: usize, within: Duration) -> bool {
        let (lock, asked) = &self.zone.asked;
        let held = lock.lock().unwrap();
        let (held, waited) = asked
            .wait_timeout_while(held, within, |_| self.queries() < n)
            .unwrap();
        drop(held);
        !waited.timed_out()
    }

    /// Queries received over TCP so far.
    pub fn tcp_queries(&self) -> usize {
        self.zone.tcp_queries.load(Ordering::SeqCst)
    }
}

struct Handler(Arc<Zone>);

impl Handler {
    fn dropped(&self, name: &str) -> bool {
        if self.0.drop_all.load(Ordering::SeqCst) {
            return true;
        }
        let dropped = self.0.dropped.lock().unwrap();
        dropped
            .iter()
            .any(|d| name == d || name.ends_with(&format!(".{d}")))
    }

    /// (answers, whether the name exists at all).
    fn lookup(&self, name: &str, rtype: RecordType) -> (Vec<Record>, bool) {
        let records = self.0.records.lock().unwrap();
        let owner = Name::from_ascii(name).unwrap();
        let answers = records
            .get(&(name.to_string(), rtype))
            .map(|list| {
                list.iter()
                    .map(|d| Record::from_rdata(owner.clone(), 0, d.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // A name "exists" when it or a subdomain has records (RFC 8020 empty non-terminals).
        let suffix = format!(".{name}");
        let exists = records
            .keys()
            .any(|(n, _)| n == name || n.ends_with(&suffix));
        (answers, exists)
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response: R,
    ) -> ResponseInfo {
        self.0.queries.fetch_add(1, Ordering::SeqCst);
        {
            let _order = self.0.asked.0.lock().unwrap();
            self.0.asked.1.notify_all();
        }
        if request.protocol() == hickory_server::net::xfer::Protocol::Tcp {
            self.0.tcp_queries.fetch_add(1, Ordering::SeqCst);
        }
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let silent = ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        });
        let Ok(info) = request.request_info() else {
            return silent;
        };
        let name = info.query.name().to_string().to_ascii_lowercase();
        if self.dropped(&name) {
            return silent;
        }
        let (answers, exists) = self.lookup(&name, info.query.query_type());
        metadata.authoritative = true;
        metadata.response_code = if exists {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        };
        let builder = MessageResponseBuilder::from_message_request(request);
        let message = builder.build(
            metadata,
            answers.iter(),
            std::iter::empty(),
            std::iter::empty(),
            std::iter::empty(),
        );
        response.send_response(message).await.unwrap_or(silent)
    }
}

/// Serves DNS with the handler `make` builds on one loopback port, UDP and TCP (a resolver
/// retries a truncated answer over TCP on the same port), on the current tokio runtime.
/// The UDP port is the kernel's choice; TCP on the same number may be taken, then it tries
/// another.
#[allow(dead_code)] // not every test binary serves DNS
pub async fn serve_on_loopback<H: RequestHandler>(make: impl Fn() -> H) -> std::net::SocketAddr {
    for _ in 0..20 {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let Ok(tcp) = tokio::net::TcpListener::bind(addr).await else {
            continue;
        };
        let mut server = Server::new(make());
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64 * 1024);
        tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        return addr;
    }
    panic!("no free loopback port for a test DNS server");
}
