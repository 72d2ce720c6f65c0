//! One canonical client address: an IPv4 client that a dual-stack balancer names as
//! `::ffff:a.b.c.d` in its PROXY v2 header gets the same SPF, iprev and DNSBL results and the
//! same log address as when named as IPv4. (Moat's own IPv6 listeners are IPv6-only, so the
//! mapped form reaches it only this way.)

use super::common::client::TcpClient;
use super::common::dns::TestDns;
use super::common::fault_backend::FaultBackend;
use super::common::moat::Moat;
use super::serve::proxy_v2;
use std::net::{IpAddr, Ipv4Addr};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 20);

/// The fields that carry the client's authentication and reputation results.
fn results(backend: &FaultBackend, subject: &str) -> Vec<String> {
    let message = backend
        .messages()
        .into_iter()
        .find(|m| m.text().contains(subject))
        .expect("delivered");
    let unfolded = message.text().replace("\r\n\t", " ").replace("\r\n ", " ");
    unfolded
        .lines()
        .filter(|l| l.starts_with("Authentication-Results:") || l.starts_with("X-Spam-Status:"))
        .map(str::to_string)
        .collect()
}

fn send(moat: &Moat, client: IpAddr, subject: &str) {
    let mut c = TcpClient::connect(moat.addr);
    c.send(&proxy_v2(client));
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(
        format!(
            "From: a@sender.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\nhi\r\n.\r\n"
        )
        .as_bytes(),
    );
    let reply = c.reply();
    assert!(reply.starts_with("250"), "{reply}");
}

#[test]
fn conformance_spf_ipv4_mapped_client_same_results_as_ipv4() {
    let (_rt, dns) = TestDns::start_with_runtime();
    dns.txt("sender.test", "v=spf1 ip4:192.0.2.20 -all");
    dns.txt("client.test", "v=spf1 a -all");
    dns.a("client.test", CLIENT);
    dns.ptr(CLIENT, "client.test");
    dns.a("20.2.0.192.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    let backend = FaultBackend::normal();
    let moat = Moat::start(&format!(
        "hostname: mx.moat.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\n\
         dns:\n  nameservers: [\"{}\"]\n  timeout: 5s\n  attempts: 1\n\
         auth:\n  enabled: true\n  iprev: true\n\
         reputation:\n  dnsbl: [\"bl.test*1\"]\n  threshold: 3\n\
         rules:\n  files: []\n\
         proxy_protocol:\n  listen: [\"127.0.0.1:{{PORT}}\"]\n  timeout: 2s\n",
        backend.addr, dns.addr
    ));
    send(&moat, IpAddr::V4(CLIENT), "as-ipv4");
    send(&moat, IpAddr::V6(CLIENT.to_ipv6_mapped()), "as-mapped");
    let ipv4 = results(&backend, "Subject: as-ipv4");
    let mapped = results(&backend, "Subject: as-mapped");
    let joined = ipv4.join("\n");
    assert!(
        joined.contains("spf=pass smtp.helo=client.test"),
        "{joined}"
    );
    assert!(
        joined.contains("spf=pass smtp.mailfrom=a@sender.test"),
        "{joined}"
    );
    assert!(joined.contains("iprev=pass"), "{joined}");
    assert!(joined.contains("DNSBL_BL_TEST"), "{joined}");
    assert_eq!(ipv4, mapped);
    // Log lines are written asynchronously: wait for both messages' lines.
    let message_lines = |log: &str| {
        log.lines()
            .filter(|l| l.contains("moat::message") && l.contains(" client=192.0.2.20 "))
            .count()
    };
    moat.wait_log_until(|log| message_lines(log) >= 2);
    let log = moat.log();
    assert_eq!(message_lines(&log), 2, "{log}");
    assert!(!log.contains("::ffff:"), "{log}");
}
