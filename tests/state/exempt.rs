//! Greylisting's automatic passes that need DNS: a sender whose SPF passes (with `auth`) and
//! a client listed by a DNSWL zone are never greylisted; others are. DNS comes from the
//! loopback test server (tests/common/dns.rs).

use crate::common::dns::TestDns;
use crate::common::fault_backend::FaultBackend;
use crate::support::{attempt, metric, start};
use std::net::Ipv4Addr;

#[test]
fn greylist_passes_spf_pass_senders_and_dnswl_clients() {
    let (_rt, dns) = TestDns::start_with_runtime();
    dns.txt("spf-ok.test", "v=spf1 ip4:127.0.0.0/8 -all");
    dns.txt("spf-fail.test", "v=spf1 ip4:192.0.2.1 -all");
    // 127.0.0.2 is on the allow list zone; 127.0.0.1 is not.
    dns.a("2.0.0.127.wl.test", Ipv4Addr::new(127, 0, 10, 2));
    let backend = FaultBackend::normal();
    let yaml = format!(
        "dns:\n  nameservers: [\"{}\"]\n  timeout: 500ms\n  attempts: 1\n\
         auth:\n  enabled: true\n  iprev: false\n\
         reputation:\n  dnsbl: [\"wl.test*-5\"]\n\
         greylist:\n  enabled: true\n  delay: 1h\n",
        dns.addr
    );
    let m = start(&backend, &yaml);
    let to = "alice@example.test";
    let (r, _) = attempt("127.0.0.1", m.moat.addr, "a@spf-ok.test", to);
    assert!(r.starts_with("250"), "SPF pass: {r}");
    // The SPF result greylisting waited for is the one authentication reports at the end.
    assert!(m.moat.wait_log("\"SPF_PASS\""), "{}", m.moat.log());
    let (r, _) = attempt("127.0.0.1", m.moat.addr, "a@spf-fail.test", to);
    assert!(r.starts_with("451 4.7.1"), "SPF fail: greylisted: {r}");
    let (r, _) = attempt("127.0.0.2", m.moat.addr, "a@spf-fail.test", to);
    assert!(r.starts_with("250"), "DNSWL-listed client: {r}");
    assert_eq!(
        metric(m.admin, "moat_greylist_total{result=\"exempt\"}"),
        2.0
    );
    assert_eq!(
        metric(m.admin, "moat_greylist_total{result=\"first\"}"),
        1.0
    );
}
