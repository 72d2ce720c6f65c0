//! HAProxy (the real Debian package) in front of the real `moat` binary: with the PROXY
//! protocol, Moat sees the original client everywhere — the session log line, the DNSBL query,
//! the Received header — not HAProxy's own address; and a connection without the header on
//! the PROXY listener gets no session. The clients connect from distinct loopback addresses
//! (127.0.0.77, 127.0.0.78), so the original address differs from HAProxy's (127.0.0.1).

mod common;

use common::client::TcpClient;
use common::dns::TestDns;
use common::fault_backend::FaultBackend;
use common::haproxy::{HaProxy, ProxyVersion};
use common::moat::Moat;
use std::net::{IpAddr, Ipv4Addr};

const MESSAGE: &str =
    "From: a@sender.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello\r\n.\r\n";

/// Moat on a PROXY-only listener, asking the test DNS server; `bl.test` refuses at the
/// greeting, `low.test` is only a finding.
struct Setup {
    _rt: tokio::runtime::Runtime,
    dns: TestDns,
    backend: FaultBackend,
    moat: Moat,
}

fn setup() -> Setup {
    let (rt, dns) = TestDns::start_with_runtime();
    let backend = FaultBackend::normal();
    let moat = Moat::start(&format!(
        "hostname: mx.moat.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\n\
         dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\n\
         reputation:\n  dnsbl: [\"bl.test*3\", \"low.test*1\"]\n  threshold: 3\n\
         proxy_protocol:\n  listen: [\"127.0.0.1:{{PORT}}\"]\n  timeout: 2s\n",
        backend.addr, dns.addr
    ));
    Setup {
        _rt: rt,
        dns,
        backend,
        moat,
    }
}

fn from(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// One message from `client` through HAProxy; the end-of-data reply.
fn send_through(proxy: &HaProxy, client: IpAddr) -> String {
    let mut c = TcpClient::connect_from(client, proxy.addr);
    let greeting = c.reply();
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(c.cmd("EHLO client.origin.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(MESSAGE.as_bytes());
    let reply = c.reply();
    c.cmd("QUIT");
    reply
}

#[test]
fn haproxy_send_proxy_v2_original_client_in_log_dnsbl_and_received() {
    let test = "haproxy_send_proxy_v2_original_client_in_log_dnsbl_and_received";
    let s = setup();
    let Some(proxy) = HaProxy::start_or_skip(test, s.moat.addr, ProxyVersion::V2) else {
        return;
    };
    // The DNSBL is asked about the original client: only 77.0.0.127.bl.test is listed.
    s.dns.a("77.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    s.dns.a("78.0.0.127.low.test", Ipv4Addr::new(127, 0, 0, 2));
    let mut c = TcpClient::connect_from(from(77), proxy.addr);
    let greeting = c.reply();
    assert!(greeting.starts_with("554 5.7.1 "), "{greeting}");
    assert!(greeting.contains("(ref="), "{greeting}");
    assert!(
        s.moat.wait_log("client=127.0.0.77"),
        "session log names the original client:\n{}",
        s.moat.log()
    );

    let reply = send_through(&proxy, from(78));
    assert!(reply.starts_with("250"), "{reply}");
    let delivered = s.backend.messages().last().expect("delivered").text();
    assert!(delivered.contains("[127.0.0.78]"), "{delivered}");
    assert!(delivered.contains("DNSBL_LOW_TEST"), "{delivered}");
    assert!(s.moat.wait_log("client=127.0.0.78"), "{}", s.moat.log());

    // A plain SMTP client straight to the PROXY listener gets no session.
    let mut c = TcpClient::connect_from(from(79), s.moat.addr);
    c.send(b"EHLO plain.test\r\n");
    assert_eq!(c.reply(), "", "closed without a reply");
    assert!(s.moat.wait_log("balancer=127.0.0.79"), "{}", s.moat.log());
    assert!(!s.moat.log().contains("client=127.0.0.79"));
}

#[test]
fn haproxy_send_proxy_v1_original_client_in_received() {
    let test = "haproxy_send_proxy_v1_original_client_in_received";
    let s = setup();
    let Some(proxy) = HaProxy::start_or_skip(test, s.moat.addr, ProxyVersion::V1) else {
        return;
    };
    let reply = send_through(&proxy, from(80));
    assert!(reply.starts_with("250"), "{reply}");
    let delivered = s.backend.messages().last().expect("delivered").text();
    assert!(delivered.contains("[127.0.0.80]"), "{delivered}");
    assert!(s.moat.wait_log("client=127.0.0.80"), "{}", s.moat.log());
}

/// An IPv4 client named as an IPv4-mapped IPv6 address (a dual-stack balancer's view) is the
/// IPv4 client everywhere: its DNSBL query is the IPv4 one (so a listed client is refused),
/// and the session log names it as IPv4.
#[test]
fn proxy_ipv4_mapped_client_is_the_ipv4_client_everywhere() {
    let s = setup();
    s.dns.a("82.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    let mut c = TcpClient::connect(s.moat.addr);
    c.send(b"PROXY TCP6 ::ffff:127.0.0.82 ::1 40000 25\r\n");
    let greeting = c.reply();
    assert!(
        greeting.starts_with("554 5.7.1"),
        "listed as IPv4: {greeting}"
    );
    assert!(s.moat.wait_log("client=127.0.0.82"), "{}", s.moat.log());
}
