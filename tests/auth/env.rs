//! The test world: a loopback DNS server with the test zones, Moat running in-process on its
//! own runtime with its resolver pointed at that server, and a backend that records what it
//! receives. Tests drive it synchronously over SMTP, or call the authenticator directly.

use super::signer;
use crate::common::client::TcpClient;
use crate::common::dns::TestDns;
use crate::common::fault_backend::FaultBackend;
use crate::common::inproc::InProcess;
use moat::auth::{Authenticator, Outcome};
use moat::config::Config;
use moat::smtp::address::{ReversePath, parse_mailbox};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Moat's hostname, hence its authserv-id.
pub const HOST: &str = "mx.moat.test";
/// Every test client connects from here.
pub const CLIENT: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Per-query DNS timeout in the tests (one attempt): the deadline of every check. 1 s, not
/// 500 ms: the in-process DNS server shares two cores with up to seven other tests, and at
/// 500 ms a starved server thread turned answers into `temperror` (the tests that wait it out
/// on purpose — dropped queries — take half a second longer).
pub const DNS_TIMEOUT_MS: u64 = 1000;

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub dns: TestDns,
    pub backend: FaultBackend,
    pub moat: SocketAddr,
    _server: InProcess,
}

impl Env {
    /// Moat relaying to a recording backend; `auth` is YAML under `auth:` (indented by 2).
    pub fn start(auth: &str) -> Env {
        let backend = FaultBackend::normal();
        let yaml = format!("  protocol: smtp\n  address: {}", backend.addr);
        Env::with_backend(&yaml, auth, backend)
    }

    /// As `start`, with `backend_yaml` as the body of the `backend:` section.
    pub fn with_backend(backend_yaml: &str, auth: &str, backend: FaultBackend) -> Env {
        let (rt, dns) = TestDns::start_with_runtime();
        standard_zone(&dns);
        let config = config(&dns, backend_yaml, auth);
        let server = InProcess::start_on(&rt, config);
        Env {
            moat: server.addr,
            rt,
            dns,
            backend,
            _server: server,
        }
    }

    /// One SMTP transaction; the reply to the end of DATA, or the first refusal before it.
    pub fn send(&self, helo: &str, from: &str, to: &str, message: &[u8]) -> String {
        let mut c = TcpClient::connect(self.moat);
        assert!(c.reply().starts_with("220"));
        assert!(c.cmd(&format!("EHLO {helo}")).starts_with("250"));
        for (cmd, want) in [
            (format!("MAIL FROM:<{from}>"), "250"),
            (format!("RCPT TO:<{to}>"), "250"),
            ("DATA".to_string(), "354"),
        ] {
            let reply = c.cmd(&cmd);
            if !reply.starts_with(want) {
                return reply;
            }
        }
        c.send(message);
        c.send(b".\r\n");
        let reply = c.reply();
        c.cmd("QUIT");
        reply
    }

    /// The last message the backend received, as text.
    pub fn delivered(&self) -> Option<String> {
        self.backend.messages().last().map(|m| m.text())
    }

    /// Runs the authenticator alone (same configuration, same resolver path) on a message.
    pub fn authenticate(&self, auth: &str, helo: &str, from: &str, message: &[u8]) -> Outcome {
        self.authenticate_from(IpAddr::V4(CLIENT), auth, helo, from, message)
    }

    /// The policy table that weighs the findings of `authenticate` with the same `auth` lines.
    pub fn policy_table(&self, auth: &str) -> moat::config::stages::PolicyTable {
        let config = config(&self.dns, "  protocol: maildir\n  path: /nonexistent", auth);
        moat::config::stages::PolicyTable::from_config(&config)
    }

    /// As `authenticate`, for a client at `ip`. Loopback PTR and A lookups are answered by
    /// the resolver itself (RFC 6761 `localhost`), so iprev tests use a documentation address
    /// here: only the test DNS server is asked, nothing is sent to that address.
    pub fn authenticate_from(
        &self,
        ip: IpAddr,
        auth: &str,
        helo: &str,
        from: &str,
        message: &[u8],
    ) -> Outcome {
        let config = config(&self.dns, "  protocol: maildir\n  path: /nonexistent", auth);
        let _guard = self.rt.enter();
        let resolver = moat::dns::Resolver::new(&config.dns).unwrap();
        let suffixes = moat::reputation::suffixes::load(&config.reputation, true).unwrap();
        let authenticator: Arc<Authenticator> =
            Authenticator::new(&resolver, &config, suffixes).expect("auth enabled");
        let from = reverse_path(from);
        self.rt
            .block_on(authenticator.message(None, ip, helo, &from, message))
    }
}

/// The test configuration as YAML: Moat's resolver asks only the test DNS server.
pub fn config_yaml(dns: &TestDns, backend_yaml: &str, auth: &str) -> String {
    format!(
        "hostname: {HOST}\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
         backend:\n{backend_yaml}\n\
         dns:\n  nameservers: [\"{}\"]\n  timeout: {DNS_TIMEOUT_MS}ms\n  attempts: 1\n\
         auth:\n  enabled: true\n{auth}\n",
        dns.addr
    )
}

fn config(dns: &TestDns, backend_yaml: &str, auth: &str) -> Config {
    let yaml = config_yaml(dns, backend_yaml, auth);
    Config::from_yaml(&yaml, "auth-test.yaml").unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn reverse_path(from: &str) -> ReversePath {
    match parse_mailbox(from) {
        Err(_) => ReversePath::Null,
        Ok(m) => ReversePath::Mailbox(m),
    }
}

/// Records every test shares. Domains:
/// - `sender.test`: SPF pass for 127.0.0.1, DKIM key `s1`, DMARC p=reject;
/// - `quarantine.test`, `nopolicy.test`: the same with p=quarantine / p=none;
/// - `forward.test`: a mailing list that ARC-seals with selector `arc`;
/// - `mail.sender.test`: the client's HELO name, with SPF `a` and forward-confirmed PTR.
pub fn standard_zone(dns: &TestDns) {
    let key = signer::key_record();
    dns.ptr(CLIENT, "mail.sender.test");
    dns.a("mail.sender.test", CLIENT);
    dns.txt("mail.sender.test", "v=spf1 a -all");
    for (domain, policy) in [
        ("sender.test", "reject"),
        ("quarantine.test", "quarantine"),
        ("nopolicy.test", "none"),
        ("forward.test", "reject"),
    ] {
        dns.a(domain, CLIENT);
        dns.txt(domain, "v=spf1 ip4:127.0.0.1 -all");
        dns.txt(&format!("s1._domainkey.{domain}"), &key);
        dns.txt(
            &format!("_dmarc.{domain}"),
            &format!("v=DMARC1; p={policy}"),
        );
    }
    dns.txt("arc._domainkey.forward.test", &key);
}

/// A plain message from `from` (the RFC 5322 author).
pub fn message(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Sender <{from}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: Thu, 26 Nov 2026 05:00:00 +0000\r\nMessage-ID: <{subject}@moat.test>\r\n\r\n\
         Hello Alice,\r\nthis is a test.\r\n"
    )
    .into_bytes()
}

/// `message` signed by `d=domain s=s1`.
pub fn signed(from: &str, subject: &str, domain: &str) -> Vec<u8> {
    signer::dkim_sign(&message(from, subject), "s1", domain)
}

/// Unfolded `Authentication-Results` header(s) of a delivered message.
pub fn auth_results(text: &str) -> Vec<String> {
    let header = text.split("\r\n\r\n").next().unwrap_or("");
    let mut fields: Vec<String> = Vec::new();
    for line in header.split("\r\n") {
        match fields.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => fields.push(line.to_string()),
        }
    }
    fields
        .into_iter()
        .filter(|f| {
            f.to_ascii_lowercase()
                .starts_with("authentication-results:")
        })
        .collect()
}

/// Finding ids of an outcome.
pub fn ids(outcome: &Outcome) -> Vec<&str> {
    outcome.findings.iter().map(|f| f.id.as_str()).collect()
}
