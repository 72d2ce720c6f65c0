use super::*;

#[test]
fn network_clears_host_bits() {
    let p = Prefixes { v4: 24, v6: 64 };
    assert_eq!(network("192.0.2.77".parse().unwrap(), p), "192.0.2.0/24");
    assert_eq!(
        network("2001:db8:1:2:3:4:5:6".parse().unwrap(), p),
        "2001:db8:1:2::/64"
    );
    let all = Prefixes { v4: 0, v6: 0 };
    assert_eq!(network("10.1.2.3".parse().unwrap(), all), "0.0.0.0/0");
    let host = Prefixes { v4: 32, v6: 128 };
    assert_eq!(network("10.1.2.3".parse().unwrap(), host), "10.1.2.3/32");
}

/// On a dual-stack listener IPv4 clients arrive as `::ffff:a.b.c.d`; under a /64 they
/// would all be one network (one limit for the whole IPv4 internet).
#[test]
fn network_of_ipv4_mapped_address_is_its_ipv4_network() {
    let p = Prefixes { v4: 24, v6: 64 };
    let mapped: IpAddr = "::ffff:192.0.2.77".parse().unwrap();
    assert_eq!(network(mapped, p), "192.0.2.0/24");
    assert_eq!(
        network_address(mapped, p),
        "192.0.2.0".parse::<IpAddr>().unwrap()
    );
    assert_ne!(
        network_address(mapped, p),
        network_address("::ffff:198.51.100.1".parse().unwrap(), p)
    );
}
