//! The listen addresses the documentation shows, with the real binary.

use super::*;
use common::client::TcpClient;

/// Issue: `listen: ["0.0.0.0:25", "[::]:25"]` (the README's dual-stack example) stopped
/// with "cannot listen on [::]:25: Address already in use" on a default Debian
/// (bindv6only=0). Exactly that pair, on a high port, plus an IPv6 admin listener: the
/// server starts and greets on both families. Skipped on a host without IPv6 loopback.
#[test]
fn e2e_dual_stack_listen_pair_starts_and_greets_on_both() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED e2e_dual_stack_listen_pair_starts_and_greets_on_both: no IPv6 loopback");
        return;
    }
    // The bug needs one port on both families, so this port is chosen here (port 0 would
    // give each family its own). Another test may take a released port before Moat binds
    // it: then another port, a few times.
    let start = |port: u16| {
        Moat::try_start(&format!(
            "hostname: {HOSTNAME}\n\
             listen: [\"0.0.0.0:{port}\", \"[::]:{port}\"]\n\
             domains: [example.test]\n\
             backend:\n  protocol: maildir\n  path: {{DIR}}/mail\n\
             admin:\n  listen: \"[::]:0\"\n"
        ))
    };
    let mut attempt = 0;
    let (moat, port) = loop {
        let port = free_port();
        match start(port) {
            Ok(moat) => break (moat, port),
            Err(why) if why.contains("in use") && attempt < 3 => attempt += 1,
            Err(why) => panic!("{why}"),
        }
    };
    assert_eq!(moat.addrs.len(), 2, "both listeners bound");
    let admin = moat.admin.unwrap().port();
    for addr in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let mut c = TcpClient::connect(addr.parse().unwrap());
        let greeting = c.reply();
        assert!(greeting.starts_with("220 "), "{addr}: {greeting}");
    }
    let (status, body) =
        common::http::http(format!("[::1]:{admin}").parse().unwrap(), "GET", "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
}
