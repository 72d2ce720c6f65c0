use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn postscreen_filter_syntax_ranges_lists_and_weights() {
    let z = parse_zone("zen.spamhaus.org=127.0.0.[2..11]*3").unwrap();
    assert_eq!(z.name, "zen.spamhaus.org");
    assert_eq!(z.weight, 3.0);
    assert!(z.filter.matches(ip("127.0.0.2")) && z.filter.matches(ip("127.0.0.11")));
    assert!(!z.filter.matches(ip("127.0.0.12")) && !z.filter.matches(ip("127.0.1.2")));
    let wl = parse_zone("list.dnswl.org=127.0.[0..255].[1;3]*-5").unwrap();
    assert_eq!(wl.weight, -5.0);
    assert!(wl.filter.matches(ip("127.0.9.3")) && !wl.filter.matches(ip("127.0.9.2")));
    let any = parse_zone("bl.test").unwrap();
    assert!(any.filter.matches(ip("127.0.0.99")) && any.weight == 1.0);
    assert_eq!(any.label(), "BL_TEST");
}

#[test]
fn bitmask_filter_needs_one_of_its_bits() {
    let z = parse_zone("multi.uribl.test&0.0.0.6*2").unwrap();
    assert!(z.filter.matches(ip("127.0.0.2")) && z.filter.matches(ip("127.0.0.4")));
    assert!(!z.filter.matches(ip("127.0.0.8")));
}

#[test]
fn bad_zone_entries_are_config_errors() {
    for bad in [
        "bl.test=127.0.0",
        "bl.test=127.0.0.[9..2]",
        "bl.test*x",
        "=1.2.3.4",
    ] {
        assert!(parse_zone(bad).is_err(), "{bad}");
    }
    let mut problems = Vec::new();
    let raw = RawReputation {
        dnsbl: vec!["ok.test".into(), "bad.test=1".into()],
        threshold: -1.0,
        ..Default::default()
    };
    build("moat.yaml", raw, &mut problems);
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["reputation.dnsbl[1]", "reputation.threshold"]);
}
