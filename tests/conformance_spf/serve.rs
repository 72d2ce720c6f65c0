//! The suite end to end: for each scenario a real DNS server on loopback serves its zone
//! (server.rs) and a real `moat serve` asks it; each case is one SMTP transaction whose
//! client address comes in a PROXY v2 header, and Moat's answer is the `spf=` result for
//! `smtp.mailfrom` in the Authentication-Results header the backend receives.

use super::common::client::TcpClient;
use super::common::fault_backend::FaultBackend;
use super::common::moat::Moat;
use super::server;
use super::suite::{Case, Scenario};
use std::net::IpAddr;
use std::sync::Arc;

/// Moat for one scenario: PROXY-protocol listener, SPF on, nothing else that could refuse;
/// quoted local parts accepted, since the suite has senders that need them.
fn moat(dns: std::net::SocketAddr, backend: &FaultBackend) -> Moat {
    Moat::start(&format!(
        "hostname: mx.moat.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\n\
         dns:\n  nameservers: [\"{dns}\"]\n  timeout: 2s\n  attempts: 1\n  cache_size: 0\n  negative_ttl: 0s\n\
         auth:\n  enabled: true\n  iprev: false\n\
         rules:\n  files: []\n\
         smtp:\n  quoted_local_parts: accept\n\
         proxy_protocol:\n  listen: [\"127.0.0.1:{{PORT}}\"]\n  timeout: 2s\n",
        backend.addr
    ))
}

/// A PROXY protocol v2 header for a TCP client at `ip`.
pub fn proxy_v2(ip: IpAddr) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    match ip {
        IpAddr::V4(v4) => {
            h.extend([0x21, 0x11, 0, 12]);
            h.extend(v4.octets());
            h.extend([127, 0, 0, 1]);
        }
        IpAddr::V6(v6) => {
            h.extend([0x21, 0x21, 0, 36]);
            h.extend(v6.octets());
            h.extend(std::net::Ipv6Addr::LOCALHOST.octets());
        }
    }
    h.extend(40000u16.to_be_bytes());
    h.extend(25u16.to_be_bytes());
    h
}

/// Runs every case of every scenario through `moat serve`: (case id, Moat's answer). The
/// answer is the SPF result, or `smtp <reply>` when the SMTP layer refused the transaction.
pub fn run(scenarios: Vec<Scenario>, cases: &[Case]) -> Vec<(String, String)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let backend = FaultBackend::normal();
    let mut answers = Vec::new();
    for (index, scenario) in scenarios.into_iter().enumerate() {
        let dns = rt.block_on(server::serve(Arc::new(scenario)));
        let moat = moat(dns, &backend);
        for case in cases.iter().filter(|c| c.scenario == index) {
            let answer = transaction(&moat, &backend, case);
            answers.push((case.id.clone(), answer));
        }
    }
    answers
}

fn transaction(moat: &Moat, backend: &FaultBackend, case: &Case) -> String {
    let ip: IpAddr = case.host.parse().expect("case host");
    let mut c = TcpClient::connect(moat.addr);
    c.send(&proxy_v2(ip));
    let greeting = c.reply();
    assert!(greeting.starts_with("220"), "{}: {greeting}", case.id);
    for command in [
        format!("EHLO {}", case.helo),
        format!("MAIL FROM:<{}>", smtp_path(&case.mailfrom)),
        "RCPT TO:<alice@example.test>".to_string(),
    ] {
        let reply = c.cmd(&command);
        if !reply.starts_with("250") {
            return format!("smtp {}", reply.lines().next().unwrap_or(""));
        }
    }
    assert!(c.cmd("DATA").starts_with("354"), "{}", case.id);
    c.send(
        format!(
            "From: a@sender.test\r\nTo: alice@example.test\r\nSubject: {}\r\n\r\nsuite\r\n.\r\n",
            case.id
        )
        .as_bytes(),
    );
    let reply = c.reply();
    if !reply.starts_with("250") {
        return format!("smtp {}", reply.lines().next().unwrap_or(""));
    }
    let _ = c.cmd("QUIT");
    let subject = format!("Subject: {}\r\n", case.id);
    let message = backend
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.text().contains(&subject))
        .expect("delivered");
    spf_mail_from(&message.text()).unwrap_or_else(|| format!("no spf= in {}", message.text()))
}

/// `spf=RESULT smtp.mailfrom=…` from the (folded) Authentication-Results field.
fn spf_mail_from(message: &str) -> Option<String> {
    let unfolded = message.replace("\r\n\t", " ").replace("\r\n ", " ");
    let field = unfolded
        .lines()
        .find(|l| l.starts_with("Authentication-Results:"))?;
    field.split(';').find_map(|part| {
        let part = part.trim();
        let (result, rest) = part.strip_prefix("spf=")?.split_once(' ')?;
        rest.starts_with("smtp.mailfrom=")
            .then(|| result.to_string())
    })
}

/// The suite's sender in SMTP syntax: a local part that is no dot-atom (empty, or with a
/// space) is quoted, as RFC 5321 4.1.2 spells it.
fn smtp_path(sender: &str) -> String {
    let Some((local, domain)) = sender.rsplit_once('@') else {
        return sender.to_string();
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom = !local.is_empty()
        && local
            .split('.')
            .all(|a| !a.is_empty() && a.chars().all(atext));
    if dot_atom {
        sender.to_string()
    } else {
        format!(
            "\"{}\"@{domain}",
            local.replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}
