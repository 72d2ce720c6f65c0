use super::*;

#[test]
fn cidr_matches_prefix_and_mapped_ipv4() {
    let c: Cidr = "192.0.2.0/25".parse().unwrap();
    assert!(c.contains("192.0.2.127".parse().unwrap()));
    assert!(!c.contains("192.0.2.128".parse().unwrap()));
    assert!(c.contains("::ffff:192.0.2.1".parse().unwrap()));
    let six: Cidr = "2001:db8::/32".parse().unwrap();
    assert!(six.contains("2001:db8:1::1".parse().unwrap()));
    assert!("10.0.0.1/33".parse::<Cidr>().is_err());
    assert!(
        "10.0.0.1"
            .parse::<Cidr>()
            .unwrap()
            .contains("10.0.0.1".parse().unwrap())
    );
}
