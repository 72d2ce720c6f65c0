//! Reputation by DNS lists against a real DNS server on loopback (tests/common/dns.rs):
//! DNSBL/DNSWL at connect, RHSBL on the HELO domain, URIBL on link domains. Moat runs
//! in-process with its resolver pointed at the test server; every client is 127.0.0.1, so
//! the client's DNSBL query is `1.0.0.127.<zone>`.

mod common;

use common::client::TcpClient;
use common::dns::TestDns;
use common::fault_backend::FaultBackend;
use moat::config::Config;
use std::net::{Ipv4Addr, SocketAddr};

struct Env {
    rt: tokio::runtime::Runtime,
    dns: TestDns,
    backend: FaultBackend,
    server: Option<crate::common::inproc::InProcess>,
    moat: Option<SocketAddr>,
}

impl Env {
    /// The DNS server and backend; Moat starts with `reputation` (YAML under the key).
    fn new() -> Env {
        let (rt, dns) = TestDns::start_with_runtime();
        Env {
            rt,
            dns,
            backend: FaultBackend::normal(),
            server: None,
            moat: None,
        }
    }

    fn start(self, reputation: &str) -> Env {
        self.start_with(reputation, "")
    }

    /// As `start`, with more top-level YAML.
    fn start_with(mut self, reputation: &str, extra: &str) -> Env {
        let yaml = format!(
            "hostname: mx.moat.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
             backend:\n  protocol: smtp\n  address: {}\n\
             dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\n\
             reputation:\n{reputation}\n{extra}\n",
            self.backend.addr, self.dns.addr
        );
        let config = Config::from_yaml(&yaml, "rep.yaml").unwrap_or_else(|e| panic!("{e}"));
        let server = crate::common::inproc::InProcess::start_on(&self.rt, config);
        self.moat = Some(server.addr);
        self.server = Some(server);
        self
    }

    fn client_listed(&self, zone: &str, answer: [u8; 4]) {
        let [a, b, c, d] = answer;
        self.dns
            .a(&format!("1.0.0.127.{zone}"), Ipv4Addr::new(a, b, c, d));
    }

    /// The greeting, then (if it was 220) one message; the replies.
    fn send(&self, helo: &str, body: &str) -> (String, String) {
        let mut c = TcpClient::connect(self.moat.unwrap());
        let greeting = c.reply();
        if !greeting.starts_with("220") {
            assert!(c.is_closed(), "refused at the greeting, then closed");
            return (greeting, String::new());
        }
        assert!(c.cmd(&format!("EHLO {helo}")).starts_with("250"));
        assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
        assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
        assert!(c.cmd("DATA").starts_with("354"));
        c.send(body.as_bytes());
        c.send(b".\r\n");
        let reply = c.reply();
        c.cmd("QUIT");
        (greeting, reply)
    }

    fn delivered(&self) -> String {
        self.backend.messages().last().expect("delivered").text()
    }
}

const MESSAGE: &str =
    "From: a@sender.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello\r\n";

const ZONES: &str = "  dnsbl: [\"bl.test=127.0.0.[2..11]*3\", \"small.test*1\", \"wl.test=127.0.[0..255].[1..3]*-5\"]\n  threshold: 3";

#[test]
fn dnsbl_listed_client_refused_554_with_reference() {
    let env = Env::new();
    env.client_listed("bl.test", [127, 0, 0, 2]);
    let env = env.start(ZONES);
    let (greeting, _) = env.send("mail.sender.test", MESSAGE);
    assert!(greeting.starts_with("554 5.7.1 "), "{greeting}");
    assert!(greeting.contains("(ref="), "{greeting}");
    assert!(env.backend.messages().is_empty());
}

#[test]
fn dnsbl_non_matching_return_code_is_ignored() {
    let env = Env::new();
    env.client_listed("bl.test", [127, 0, 0, 99]);
    let env = env.start(ZONES);
    let (greeting, reply) = env.send("mail.sender.test", MESSAGE);
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(reply.starts_with("250"), "{reply}");
    assert!(
        !env.delivered().contains("DNSBL_BL_TEST"),
        "{}",
        env.delivered()
    );
}

#[test]
fn dnswl_overrides_lower_dnsbl_weight() {
    let env = Env::new();
    env.client_listed("bl.test", [127, 0, 0, 2]);
    env.client_listed("wl.test", [127, 0, 10, 2]);
    let env = env.start(ZONES);
    let (greeting, reply) = env.send("mail.sender.test", MESSAGE);
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(reply.starts_with("250"), "{reply}");
    let delivered = env.delivered().replace("\r\n\t", " ");
    assert!(
        delivered.contains("DNSBL_BL_TEST") && delivered.contains("DNSWL_WL_TEST"),
        "{delivered}"
    );
}

#[test]
fn dnsbl_below_threshold_is_a_finding_for_the_verdict() {
    let env = Env::new();
    env.client_listed("small.test", [127, 0, 0, 2]);
    let env = env.start(ZONES);
    let (greeting, reply) = env.send("mail.sender.test", MESSAGE);
    assert!(
        greeting.starts_with("220") && reply.starts_with("250"),
        "{reply}"
    );
    assert!(
        env.delivered().contains("DNSBL_SMALL_TEST"),
        "{}",
        env.delivered()
    );
}

#[test]
fn uribl_link_registrable_domain_gets_finding_and_score() {
    let env = Env::new();
    env.dns
        .a("evil.test.uribl.test", Ipv4Addr::new(127, 0, 0, 2));
    env.dns
        .a("spammy.test.dbl.test", Ipv4Addr::new(127, 0, 1, 2));
    let env =
        env.start("  uribl: [\"uribl.test*2.5\"]\n  rhsbl: [\"dbl.test=127.0.1.[2..99]*1.5\"]");
    let body = format!("{MESSAGE}Visit http://www.shop.evil.test/login now\r\n");
    let (_, reply) = env.send("mail.spammy.test", &body);
    assert!(reply.starts_with("250"), "{reply}");
    let delivered = env.delivered().replace("\r\n\t", " ");
    assert!(delivered.contains("URIBL_URIBL_TEST"), "{delivered}");
    assert!(delivered.contains("RHSBL_DBL_TEST"), "{delivered}");
    let score: f64 = delivered
        .split("X-Spam-Score: ")
        .nth(1)
        .and_then(|s| s.split("\r\n").next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(score >= 4.0, "2.5 + 1.5 are in the score: {delivered}");
}

/// Sends `bytes` at once after connecting, without waiting for the greeting.
fn talk_first(env: &Env, bytes: &[u8]) -> TcpClient {
    let mut c = TcpClient::connect(env.moat.unwrap());
    c.send(bytes);
    c
}

#[test]
fn pregreet_early_talker_is_a_finding_and_its_commands_still_work() {
    let env = Env::new().start("  pregreet_wait: 300ms\n  pregreet_score: 2.5");
    let mut c = talk_first(&env, b"EHLO early.test\r\n");
    assert!(c.reply().starts_with("220"));
    assert!(c.reply().starts_with("250"), "the early EHLO is answered");
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(MESSAGE.as_bytes());
    assert!(c.cmd(".").starts_with("250"));
    assert!(env.delivered().contains("PREGREET"), "{}", env.delivered());
    // A client that waits for the greeting is not flagged.
    let (greeting, reply) = env.send("mail.sender.test", MESSAGE);
    assert!(greeting.starts_with("220") && reply.starts_with("250"));
    assert!(!env.delivered().contains("PREGREET"), "{}", env.delivered());
}

#[test]
fn pregreet_reject_refuses_early_talker_554() {
    let env = Env::new().start("  pregreet_wait: 300ms\n  pregreet_action: reject");
    let mut c = talk_first(&env, b"EHLO early.test\r\n");
    let reply = c.reply();
    assert!(reply.starts_with("554 5.5.1 "), "{reply}");
    assert!(c.is_closed());
}

#[test]
fn http_request_to_smtp_port_is_refused_and_closed() {
    let env = Env::new().start("  pregreet_wait: 0s");
    let mut c = TcpClient::connect(env.moat.unwrap());
    assert!(c.reply().starts_with("220"));
    c.send(b"GET / HTTP/1.1\r\nHost: mx.moat.test\r\n\r\n");
    let reply = c.reply();
    assert!(reply.starts_with("421 "), "{reply}");
    assert!(c.is_closed());
}

#[test]
fn pipelining_without_pipelining_offered_is_flagged() {
    let env = Env::new().start("  pipelining_score: 1.5");
    let mut c = TcpClient::connect(env.moat.unwrap());
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("HELO blind.test").starts_with("250"));
    // HELO offers no PIPELINING: three commands in one write is writing blind.
    c.send(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n");
    for want in ["250", "250", "354"] {
        let reply = c.reply();
        assert!(reply.starts_with(want), "{reply}");
    }
    c.send(MESSAGE.as_bytes());
    assert!(c.cmd(".").starts_with("250"));
    assert!(
        env.delivered().contains("PIPELINING_UNADVERTISED"),
        "{}",
        env.delivered()
    );
    // After EHLO (which offers PIPELINING) the same is allowed.
    let mut c = TcpClient::connect(env.moat.unwrap());
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO polite.test").starts_with("250"));
    c.send(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n");
    for _ in 0..3 {
        c.reply();
    }
    c.send(MESSAGE.as_bytes());
    assert!(c.cmd(".").starts_with("250"));
    assert!(
        !env.delivered().contains("PIPELINING_UNADVERTISED"),
        "{}",
        env.delivered()
    );
}

/// A PROXY protocol v2 header for a TCP4 client at `ip`:`port`.
fn proxy_v2(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.extend([0x21, 0x11, 0, 12]);
    h.extend(ip);
    h.extend([127, 0, 0, 1]);
    h.extend(port.to_be_bytes());
    h.extend(25u16.to_be_bytes());
    h
}

#[test]
fn proxy_protocol_client_address_used_for_dnsbl_and_headers_plain_refused() {
    let env = Env::new();
    env.dns.a("7.2.0.192.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    let env = env.start_with(
        "  dnsbl: [\"bl.test*3\"]",
        "proxy_protocol:\n  listen: [\"127.0.0.1:0\"]\n  timeout: 2s",
    );
    // v2 from a listed client: the DNSBL was asked about 192.0.2.7, not 127.0.0.1.
    let mut c = TcpClient::connect(env.moat.unwrap());
    c.send(&proxy_v2([192, 0, 2, 7], 40000));
    let reply = c.reply();
    assert!(reply.starts_with("554 5.7.1"), "{reply}");
    // v1 from an unlisted client: served, and the Received header names it.
    let mut c = TcpClient::connect(env.moat.unwrap());
    c.send(b"PROXY TCP4 192.0.2.8 127.0.0.1 40001 25\r\n");
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO proxied.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(MESSAGE.as_bytes());
    assert!(c.cmd(".").starts_with("250"));
    assert!(
        env.delivered().contains("([192.0.2.8])"),
        "{}",
        env.delivered()
    );
    // A plain SMTP client on the PROXY listener gets no session.
    let mut c = TcpClient::connect(env.moat.unwrap());
    c.send(b"EHLO plain.test\r\n");
    assert_eq!(c.reply(), "", "closed without a reply");
}

/// A list that does not answer within the DNS deadline is not a listing — the client is
/// served and the message delivered — but the verdict says what was not asked: one
/// `<KIND>_TEMPERROR` finding (score 0) per kind of list, naming the silent zones, so logs,
/// `X-Spam-Status` and autolearn's check-error guard see that the score lacks it.
#[test]
fn silent_lists_leave_temperror_findings_and_cost_nothing() {
    let env = Env::new();
    env.client_listed("small.test", [127, 0, 0, 2]);
    env.dns.drop_queries_for("bl.test");
    env.dns.drop_queries_for("uribl.test");
    env.dns.drop_queries_for("dbl.test");
    let env = env.start(
        "  dnsbl: [\"bl.test*5\", \"small.test*1\"]\n  threshold: 5\n\
         \x20 uribl: [\"uribl.test*2.5\"]\n  rhsbl: [\"dbl.test*1.5\"]",
    );
    let body = format!("{MESSAGE}Visit http://www.shop.evil.test/login now\r\n");
    let (greeting, reply) = env.send("mail.spammy.test", &body);
    assert!(
        greeting.starts_with("220") && reply.starts_with("250"),
        "a silent list refuses no one: {greeting} {reply}"
    );
    let delivered = env.delivered().replace("\r\n\t", " ");
    for id in [
        "DNSBL_SMALL_TEST",
        "DNSBL_TEMPERROR",
        "URIBL_TEMPERROR",
        "RHSBL_TEMPERROR",
    ] {
        assert!(delivered.contains(id), "{id} in {delivered}");
    }
    for listing in ["DNSBL_BL_TEST", "URIBL_URIBL_TEST", "RHSBL_DBL_TEST"] {
        assert!(
            !delivered.contains(listing),
            "a silent zone lists no one: {delivered}"
        );
    }
}
