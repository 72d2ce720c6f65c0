//! The global memory budget (`limits.max_memory`, docs/SECURITY.md "Memory budget"): 40
//! clients send a 24 MiB message each at the same moment, from two addresses. Moat's peak
//! resident memory stays under the budget plus a fixed allowance; the clients that found no
//! room were answered 452 4.3.1 and retried; every message reached the backend once.

use super::support::*;
use crate::common::client::TcpClient;
use crate::common::count_sink::CountSink;
use crate::common::moat::Moat;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CLIENTS: usize = 40;
const MESSAGE: usize = 24 << 20;
const BUDGET_MIB: usize = 256;
/// Moat's own memory besides the messages it holds: code, rules, buffers of idle sessions,
/// allocator slack (`moat::budget::RSS_ALLOWANCE`).
const ALLOWANCE: usize = moat::budget::RSS_ALLOWANCE;
/// Every client must be through by then (each retry waits `RETRY` first).
const GIVE_UP: Duration = Duration::from_secs(45);
/// A retrying MTA waits minutes; these clients only long enough not to spin.
const RETRY: Duration = Duration::from_millis(25);

/// What one client saw: its message's subject and the temporary refusals before the 250.
struct Sent {
    subject: String,
    deferrals: Vec<String>,
}

/// Peak resident memory of process `pid` in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib * 1024
}

/// One attempt: MAIL (declaring SIZE) … end of data. `Ok` on 250; `Err(reply)` on a 4xx.
/// The session ends with QUIT either way.
fn attempt(addr: SocketAddr, source: IpAddr, body: &[u8]) -> Result<(), String> {
    let mut c = TcpClient::connect_from(source, addr);
    expect(&c.reply(), "220", "greeting");
    expect(&c.cmd("EHLO client.test"), "250", "EHLO");
    let result = transaction(&mut c, body);
    let _ = c.cmd("QUIT");
    result
}

fn transaction(c: &mut TcpClient, body: &[u8]) -> Result<(), String> {
    let steps = [
        (
            format!("MAIL FROM:<s@sender.test> SIZE={}", body.len()),
            250,
        ),
        ("RCPT TO:<alice@example.test>".to_string(), 250),
        ("DATA".to_string(), 354),
    ];
    for (step, want) in &steps {
        let r = c.cmd(step);
        if code(&r) != *want {
            return Err(r);
        }
    }
    c.send(body);
    let r = c.cmd(".");
    if code(&r) != 250 {
        return Err(r);
    }
    Ok(())
}

/// Sends until 250; every refusal must be temporary (4xx), never a loss.
fn send_with_retries(addr: SocketAddr, i: usize, start: &Barrier) -> Sent {
    let subject = format!("memory-{i}");
    let body = message(&subject, MESSAGE);
    let source: IpAddr = [127, 0, 0, 1 + (i % 2) as u8].into();
    let deadline = Instant::now() + GIVE_UP;
    let mut deferrals = Vec::new();
    start.wait();
    loop {
        match attempt(addr, source, &body) {
            Ok(()) => return Sent { subject, deferrals },
            Err(reply) => {
                assert_eq!(
                    code(&reply) / 100,
                    4,
                    "{subject}: not a temporary refusal: {reply:?}"
                );
                deferrals.push(reply);
            }
        }
        let last = deferrals.last();
        let n = deferrals.len();
        assert!(
            Instant::now() < deadline,
            "{subject}: not delivered after {n} deferrals, the last {last:?}"
        );
        // Pacing, the behaviour under test: a deferred sender retries after a pause.
        std::thread::sleep(RETRY);
    }
}

#[test]
fn memory_budget_bounds_rss_of_40_concurrent_24mib_messages_and_loses_none() {
    let sink = CountSink::start();
    let conf = Conf::new(sink.addr)
        .limit("max_message_size", "25MiB")
        .limit("max_memory", &format!("{BUDGET_MIB}MiB"))
        // Room for each address's 20 clients and the sessions they are just leaving.
        .limit("max_connections_per_ip", "40")
        .timeout("data", "30s");
    // Rules off: decoding 40 x 24 MiB in a debug build takes minutes. The reservation still
    // covers the rules' copies (MESSAGE_COPIES); benches/memory.sh measures them, optimised.
    let moat = Moat::start(&(conf.render() + "rules:\n  files: []\n"));
    let addr = moat.addr;
    let start = Arc::new(Barrier::new(CLIENTS));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let start = start.clone();
            std::thread::spawn(move || send_with_retries(addr, i, &start))
        })
        .collect();
    let sent: Vec<Sent> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    let took = started.elapsed();
    let peak = peak_rss(moat.pid());

    let deferrals: Vec<&String> = sent.iter().flat_map(|s| &s.deferrals).collect();
    let storage = deferrals
        .iter()
        .filter(|r| r.starts_with("452 4.3.1"))
        .count();
    eprintln!(
        "{CLIENTS} x {} MiB in {took:?}: peak RSS {} MiB (budget {BUDGET_MIB} MiB + allowance {} MiB), {} deferrals ({storage} of them 452 4.3.1)",
        MESSAGE >> 20,
        peak >> 20,
        ALLOWANCE >> 20,
        deferrals.len()
    );
    assert!(
        peak <= (BUDGET_MIB << 20) + ALLOWANCE,
        "peak RSS {} MiB over the budget {BUDGET_MIB} MiB + {} MiB",
        peak >> 20,
        ALLOWANCE >> 20
    );
    assert!(
        storage > 0,
        "40 x 24 MiB cannot fit in {BUDGET_MIB} MiB at once: some client must have been told 452 4.3.1"
    );

    // Nothing lost, nothing twice: each subject once, whole.
    let accepted = sink.accepted();
    let mut by_subject: HashMap<&str, usize> = HashMap::new();
    for m in &accepted {
        *by_subject.entry(m.subject.as_str()).or_default() += 1;
        assert!(
            m.size > MESSAGE,
            "{} arrived with {} bytes",
            m.subject,
            m.size
        );
    }
    for s in &sent {
        assert_eq!(
            by_subject.get(s.subject.as_str()),
            Some(&1),
            "{} delivered once",
            s.subject
        );
    }
    assert_eq!(accepted.len(), CLIENTS);
}
