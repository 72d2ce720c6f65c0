//! iprev (forward-confirmed reverse DNS, RFC 8601 3): the PTR name must resolve back to the
//! client's address. Clients at documentation addresses (only DNS is asked, see
//! `Env::authenticate_from`).

use super::env::*;
use std::net::{IpAddr, Ipv4Addr};

#[test]
fn auth_iprev_pass_fail_and_temperror() {
    let env = Env::start("");
    let ip = |last| Ipv4Addr::new(192, 0, 2, last);
    env.dns.ptr(ip(10), "host.iprev.test");
    env.dns.a("host.iprev.test", ip(10));
    env.dns.ptr(ip(11), "liar.iprev.test");
    env.dns.a("liar.iprev.test", ip(99));
    env.dns.ptr(ip(13), "slow.iprev.test");
    env.dns.drop_queries_for("13.2.0.192.in-addr.arpa");
    let msg = message("a@sender.test", "iprev");
    for (last, result, id) in [
        (10, "iprev=pass (host.iprev.test.)", "IPREV_PASS"),
        (11, "iprev=fail", "IPREV_FAIL"),
        (12, "iprev=", "IPREV_"),
        (13, "iprev=temperror", "IPREV_TEMPERROR"),
    ] {
        let outcome =
            env.authenticate_from(IpAddr::V4(ip(last)), "", "h.test", "a@sender.test", &msg);
        let header = outcome.header.replace("\r\n\t", " ");
        assert!(header.contains(result), "192.0.2.{last}: {header}");
        assert!(
            header.contains(&format!("policy.iprev=192.0.2.{last}")),
            "{header}"
        );
        let found = ids(&outcome)
            .into_iter()
            .find(|i| i.starts_with("IPREV_"))
            .unwrap();
        assert!(found.starts_with(id), "192.0.2.{last}: {found}");
        if last == 12 {
            assert_ne!(found, "IPREV_PASS", "no PTR is never a pass");
        }
    }
}

#[test]
fn auth_iprev_can_be_disabled() {
    let env = Env::start("");
    let outcome = env.authenticate(
        "  iprev: false",
        "h.test",
        "a@sender.test",
        &message("a@sender.test", "x"),
    );
    assert!(!outcome.header.contains("iprev="), "{}", outcome.header);
}
