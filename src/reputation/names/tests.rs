use super::*;

#[test]
fn dnsbl_query_names_ipv4_octets_and_ipv6_nibbles() {
    assert_eq!(reversed("192.0.2.99".parse().unwrap()), "99.2.0.192");
    assert_eq!(reversed("::ffff:192.0.2.1".parse().unwrap()), "1.2.0.192");
    // RFC 5782 2.4's example.
    assert_eq!(
        reversed("2001:db8:1:2:3:4:567:89ab".parse().unwrap()),
        "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
    );
}
