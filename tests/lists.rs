//! Allow and deny lists through the real `moat` binary: where each list applies (connect,
//! HELO, RCPT, end of data), allowed recipients reachable from denied senders, an allowed
//! client spared the DNSBL screen, and list files that reload with the configuration.

mod common;

use common::client::TcpClient;
use common::dns::TestDns;
use common::fault_backend::FaultBackend;
use common::moat::Moat;
use std::net::{IpAddr, Ipv4Addr};

const MESSAGE: &str = "From: a@sender.test\r\nSubject: hi\r\n\r\nHello\r\n.\r\n";

/// Moat relaying to `backend`, with more top-level YAML (`lists:`, `dns:` …).
fn start(backend: &FaultBackend, extra: &str) -> Moat {
    Moat::start(&format!(
        "hostname: mx.moat.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\n{extra}\n",
        backend.addr
    ))
}

fn from(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// EHLO, MAIL, the RCPTs (each must be accepted), DATA: the end-of-data reply.
fn send(c: &mut TcpClient, sender: &str, rcpts: &[&str]) -> String {
    assert!(c.cmd("EHLO client.origin.test").starts_with("250"));
    assert!(c.cmd(&format!("MAIL FROM:<{sender}>")).starts_with("250"));
    for r in rcpts {
        let reply = c.cmd(&format!("RCPT TO:<{r}>"));
        assert!(reply.starts_with("250"), "{r}: {reply}");
    }
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(MESSAGE.as_bytes());
    c.reply()
}

#[test]
fn deny_client_refused_554_instead_of_greeting() {
    let backend = FaultBackend::normal();
    let moat = start(&backend, "lists:\n  deny:\n    clients: [127.0.0.66/32]");
    let mut c = TcpClient::connect_from(from(66), moat.addr);
    let greeting = c.reply();
    assert!(greeting.starts_with("554 5.7.1 "), "{greeting}");
    assert!(greeting.contains("(ref="), "{greeting}");
    assert!(c.is_closed());
    let mut c = TcpClient::connect_from(from(65), moat.addr);
    assert!(c.reply().starts_with("220"));
}

#[test]
fn deny_helo_550_at_helo_and_deny_recipient_550_at_rcpt() {
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        "lists:\n  deny:\n    helo: [\"*.dyn.bad.test\"]\n    recipients: [gone@example.test]",
    );
    let mut c = TcpClient::connect(moat.addr);
    c.reply();
    let r = c.cmd("EHLO host-1.dyn.bad.test");
    assert!(r.starts_with("550 5.7.1 "), "{r}");
    assert!(c.cmd("EHLO good.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    let r = c.cmd("RCPT TO:<Gone@example.test>");
    assert!(r.starts_with("550 5.7.1 "), "{r}");
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    // The backend was never asked about the denied recipient.
    assert_eq!(backend.rcpts(), ["<alice@example.test>"]);
}

#[test]
fn allow_recipient_receives_from_denied_sender_others_refused() {
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        "lists:\n  deny:\n    senders: [bad@spam.test]\n  allow:\n    recipients: [\"postmaster@\", \"abuse@\"]",
    );
    let mut c = TcpClient::connect(moat.addr);
    c.reply();
    let r = send(
        &mut c,
        "bad@spam.test",
        &["postmaster@example.test", "abuse@example.test"],
    );
    assert!(r.starts_with("250"), "{r}");
    let delivered = backend.messages().last().expect("delivered").text();
    assert!(delivered.contains("tests=ALLOWLIST"), "{delivered}");
    // Not every recipient is allowed: the sender's denial applies.
    let r = send(
        &mut c,
        "bad@spam.test",
        &["postmaster@example.test", "alice@example.test"],
    );
    assert!(r.starts_with("550 5.7.1 "), "{r}");
    assert_eq!(backend.messages().len(), 1);
}

#[test]
fn allow_client_skips_dnsbl_screen_and_checks() {
    let (_rt, dns) = TestDns::start_with_runtime();
    dns.a("67.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    dns.a("68.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2));
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        &format!(
            "dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\n\
             reputation:\n  dnsbl: [\"bl.test*3\"]\n  threshold: 3\n\
             lists:\n  allow:\n    clients: [127.0.0.67]",
            dns.addr
        ),
    );
    let mut listed = TcpClient::connect_from(from(68), moat.addr);
    assert!(listed.reply().starts_with("554 5.7.1"));
    let mut allowed = TcpClient::connect_from(from(67), moat.addr);
    assert!(allowed.reply().starts_with("220"));
    let r = send(&mut allowed, "a@sender.test", &["alice@example.test"]);
    assert!(r.starts_with("250"), "{r}");
    let delivered = backend.messages().last().expect("delivered").text();
    assert!(delivered.contains("tests=ALLOWLIST"), "{delivered}");
}

#[test]
fn list_file_change_takes_effect_at_reload_and_broken_file_keeps_old_list() {
    let backend = FaultBackend::normal();
    let lists = tempfile::tempdir().unwrap();
    let file = lists.path().join("deny-recipients.txt");
    std::fs::write(&file, "# closed accounts\nbob@example.test\n").unwrap();
    let moat = start(
        &backend,
        &format!(
            "rules:\n  watch: 100ms\nlists:\n  deny:\n    recipients: [{{file: {}}}]",
            file.display()
        ),
    );
    let rcpt = |to: &str| {
        let mut c = TcpClient::connect(moat.addr);
        c.reply();
        c.cmd("EHLO c.test");
        c.cmd("MAIL FROM:<a@sender.test>");
        c.cmd(&format!("RCPT TO:<{to}>"))
    };
    assert!(rcpt("bob@example.test").starts_with("550"));
    assert!(rcpt("carol@example.test").starts_with("250"));

    // The file watch sees the edit and reloads: the new list applies to new sessions.
    std::fs::write(&file, "carol@example.test  # left\n").unwrap();
    assert!(moat.wait_log("configuration reloaded"), "{}", moat.log());
    assert!(rcpt("bob@example.test").starts_with("250"));
    assert!(rcpt("carol@example.test").starts_with("550"));

    // A bad line: the reload fails naming the file and line; the running list stays.
    std::fs::write(&file, "carol@example.test\nnot an address\n").unwrap();
    assert!(moat.wait_log("reload failed"), "{}", moat.log());
    let needle = format!("{}:2:", file.display());
    assert!(moat.wait_log(&needle), "{}", moat.log());
    assert!(rcpt("carol@example.test").starts_with("550"));
}

#[test]
fn list_file_reread_at_sighup_without_file_watch() {
    let backend = FaultBackend::normal();
    let lists = tempfile::tempdir().unwrap();
    let file = lists.path().join("deny-helo.txt");
    std::fs::write(&file, "*.old.test\n").unwrap();
    let moat = start(
        &backend,
        &format!(
            "rules:\n  watch: 0s\nlists:\n  deny:\n    helo: [{{file: {}}}]",
            file.display()
        ),
    );
    let ehlo = |name: &str| {
        let mut c = TcpClient::connect(moat.addr);
        c.reply();
        c.cmd(&format!("EHLO {name}"))
    };
    assert!(ehlo("a.old.test").starts_with("550"));
    std::fs::write(&file, "*.new.test\n").unwrap();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &moat.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    assert!(moat.wait_log("configuration reloaded"), "{}", moat.log());
    assert!(ehlo("a.old.test").starts_with("250"));
    assert!(ehlo("b.new.test").starts_with("550"));
}

/// Spellings of one address that RFC 5321 makes equal: quotes around a dot-atom, quoted-pairs,
/// case. Issue: `"blocked"@example.test` passed `lists.deny.recipients`, `"spammer"@…` passed
/// `lists.deny.senders`.
const SPELLINGS: [&str; 5] = [
    "{l}@{d}",
    "\"{l}\"@{d}",
    "\"{l}\"@{D}",
    "\"\\{l}\"@{d}",
    "{L}@{D}",
];

fn spell(template: &str, address: &str) -> String {
    let (l, d) = address.split_once('@').unwrap();
    let escaped: String = l.chars().flat_map(|c| ['\\', c]).collect();
    template
        .replace("\"\\{l}\"", &format!("\"{escaped}\""))
        .replace("{l}", l)
        .replace("{d}", d)
        .replace("{L}", &l.to_uppercase())
        .replace("{D}", &d.to_uppercase())
}

#[test]
fn deny_recipient_refuses_every_spelling_of_the_address() {
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        "lists:\n  deny:\n    recipients: [blocked@example.test]",
    );
    let mut c = TcpClient::connect(moat.addr);
    c.reply();
    assert!(c.cmd("EHLO good.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    for template in SPELLINGS {
        let spelling = spell(template, "blocked@example.test");
        let r = c.cmd(&format!("RCPT TO:<{spelling}>"));
        assert!(r.starts_with("550 5.7.1 "), "{spelling}: {r}");
    }
    assert!(c.cmd("RCPT TO:<\"alice\"@example.test>").starts_with("250"));
    // The backend was asked only about alice, in canonical form.
    assert_eq!(backend.rcpts(), ["<alice@example.test>"]);
}

#[test]
fn deny_sender_refuses_every_spelling_of_the_address() {
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        "lists:\n  deny:\n    senders: [spammer@other.example]",
    );
    for template in SPELLINGS {
        let spelling = spell(template, "spammer@other.example");
        let mut c = TcpClient::connect(moat.addr);
        c.reply();
        let r = send(&mut c, &spelling, &["alice@example.test"]);
        assert!(r.starts_with("550 5.7.1 "), "{spelling}: {r}");
    }
    assert!(
        backend.messages().is_empty(),
        "nothing from the denied sender"
    );
}

/// List entries are canonical too: a quoted or upper-case entry matches the plain address.
#[test]
fn deny_list_entries_in_any_spelling_match_the_canonical_address() {
    let backend = FaultBackend::normal();
    let moat = start(
        &backend,
        "lists:\n  deny:\n    recipients: [\"\\\"Blocked\\\"@EXAMPLE.test\"]",
    );
    let mut c = TcpClient::connect(moat.addr);
    c.reply();
    assert!(c.cmd("EHLO good.test").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    let r = c.cmd("RCPT TO:<blocked@example.test>");
    assert!(r.starts_with("550 5.7.1 "), "{r}");
}
