use super::*;
use std::time::Duration;

fn config(port: u16) -> DnsConfig {
    DnsConfig {
        nameservers: vec![([127, 0, 0, 1], port).into()],
        timeout: Duration::from_secs(1),
        attempts: 2,
        cache_size: 100,
        negative_ttl: Duration::from_secs(60),
    }
}

/// `dns.attempts` is the number of tries, not of retries: against a server that never
/// answers, a lookup sends exactly `attempts` queries, so it ends within the checks'
/// deadline (`timeout x attempts`).
#[test]
fn dns_attempts_counts_tries_not_retries() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut config = config(silent.local_addr().unwrap().port());
    config.timeout = Duration::from_millis(100);
    config.attempts = 2;
    let resolver = Resolver::new(&config).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = rt.block_on(resolver.txt_raw_lookup("silent.test."));
    assert!(answer.is_err(), "nobody answered");
    silent.set_nonblocking(true).unwrap();
    let mut queries = 0;
    let mut buf = [0u8; 512];
    while silent.recv(&mut buf).is_ok() {
        queries += 1;
    }
    assert_eq!(queries, config.attempts, "one query per try");
}

/// A reload that leaves `dns:` alone keeps the resolver and its cache; a changed `dns:`
/// gets a new one.
#[test]
fn resolver_kept_over_reload_only_when_dns_unchanged() {
    let first = Resolver::new(&config(53)).unwrap();
    let same = Resolver::reuse_or_new(Some(&first), &config(53)).unwrap();
    assert!(same.same(&first));
    let changed = Resolver::reuse_or_new(Some(&first), &config(5353)).unwrap();
    assert!(!changed.same(&first));
    let fresh = Resolver::reuse_or_new(None, &config(53)).unwrap();
    assert!(!fresh.same(&first));
}
