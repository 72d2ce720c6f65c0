//! Acceptance 5: the n+1-th connection, message or recipient in the window from one IP gets
//! 421/451; another IP (127.0.0.2) is unaffected — with the memory store and with Redis.

use crate::common::fault_backend::FaultBackend;
use crate::common::redis::Redis;
use crate::support::{connect_from, metric, session, start};

/// The client that runs into the limits (127.0.0.1 is the harness's readiness probe).
const LIMITED: &str = "127.0.0.3";

const LIMITS: &str =
    "ratelimit:\n  client:\n    connections: 3\n    messages: 2\n    recipients: 3\n";

fn limits_hold_per_client(state: &str) {
    let backend = FaultBackend::normal();
    let m = start(&backend, &format!("{state}{LIMITS}"));
    let addr = m.moat.addr;

    // Connection 1: two messages, the third MAIL is refused; three recipients, the fourth is.
    let mut c = session(LIMITED, addr);
    assert!(c.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    for n in 1..=3 {
        let r = c.cmd(&format!("RCPT TO:<u{n}@example.test>"));
        assert!(r.starts_with("250"), "{r}");
    }
    let r = c.cmd("RCPT TO:<u4@example.test>");
    assert!(r.starts_with("451 4.7.1 ") && r.contains("(ref="), "{r}");
    assert!(c.cmd("RSET").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    assert!(c.cmd("RSET").starts_with("250"));
    let r = c.cmd("MAIL FROM:<s@origin.test>");
    assert!(r.starts_with("451 4.7.1 ") && r.contains("(ref="), "{r}");
    c.cmd("QUIT");

    // Connections 2 and 3 are fine; the fourth gets 421 and is closed.
    for _ in 2..=3 {
        let mut c = connect_from(LIMITED, addr);
        assert!(c.reply().starts_with("220"));
    }
    let mut c = connect_from(LIMITED, addr);
    let r = c.reply();
    assert!(r.starts_with("421 4.7.0 ") && r.contains("(ref="), "{r}");
    assert!(c.is_closed());

    // Another client address has its own counts.
    let mut other = session("127.0.0.2", addr);
    assert!(other.cmd("MAIL FROM:<s@origin.test>").starts_with("250"));
    assert!(other.cmd("RCPT TO:<u1@example.test>").starts_with("250"));

    for (kind, n) in [("connections", 1.0), ("messages", 1.0), ("recipients", 1.0)] {
        let series = format!("moat_ratelimit_refusals_total{{kind=\"{kind}\",scope=\"client\"}}");
        assert_eq!(metric(m.admin, &series), n, "{series}");
    }
}

#[test]
fn ratelimit_per_client_memory() {
    limits_hold_per_client("");
}

#[test]
fn ratelimit_per_client_redis() {
    let Some(redis) = Redis::start("ratelimit_redis") else {
        return;
    };
    limits_hold_per_client(&format!(
        "state:\n  backend: redis\n  url: {}\n",
        redis.url()
    ));
}

#[test]
fn ratelimit_network_limit_covers_the_whole_prefix() {
    let backend = FaultBackend::normal();
    let yaml = "ratelimit:\n  network:\n    connections: 2\n  ipv4_prefix: 24\n";
    let m = start(&backend, yaml);
    let greeting = |source| connect_from(source, m.moat.addr).reply();
    assert!(greeting("127.0.1.1").starts_with("220"));
    assert!(greeting("127.0.1.2").starts_with("220"));
    let r = greeting("127.0.1.3");
    assert!(r.starts_with("421 4.7.0"), "same /24: {r}");
    assert!(greeting("127.0.2.1").starts_with("220"), "another /24");
}

#[test]
fn ratelimit_behind_a_proxy_counts_the_real_client() {
    let backend = FaultBackend::normal();
    let yaml = "proxy_protocol:\n  listen: [\"127.0.0.1:{PORT}\"]\n\
                ratelimit:\n  client:\n    connections: 1\n";
    let m = start(&backend, yaml);
    let greeting = |client: &str| {
        let mut c = connect_from("127.0.0.1", m.moat.addr);
        c.send(format!("PROXY TCP4 {client} 127.0.0.1 40000 25\r\n").as_bytes());
        c.reply()
    };
    assert!(greeting("192.0.2.7").starts_with("220"));
    let r = greeting("192.0.2.7");
    assert!(
        r.starts_with("421 4.7.0"),
        "the same client behind the balancer: {r}"
    );
    assert!(
        greeting("192.0.2.8").starts_with("220"),
        "another client, same balancer"
    );
}
