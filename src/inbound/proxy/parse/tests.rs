use super::*;

fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
    let mut out = V2_SIGNATURE.to_vec();
    out.extend([0x20 | command, family]);
    out.extend((body.len() as u16).to_be_bytes());
    out.extend(body);
    out
}

#[test]
fn proxy_v1_tcp4_tcp6_and_unknown() {
    let h = parse(b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\nEHLO x\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
    assert_eq!(h.consumed, 44);
    let h = parse(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 25\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(h.source, Some("[2001:db8::1]:1".parse().unwrap()));
    assert_eq!(parse(b"PROXY UNKNOWN\r\n").unwrap().unwrap().source, None);
}

#[test]
fn proxy_v1_and_v2_in_any_chunking_are_incomplete_until_whole() {
    let v1 = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\n".to_vec();
    let v2 = v2(1, 0x11, &[192, 0, 2, 7, 198, 51, 100, 1, 0xdc, 0x04, 0, 25]);
    for whole in [v1, v2] {
        for cut in 0..whole.len() {
            assert_eq!(parse(&whole[..cut]), Ok(None), "cut at {cut}");
        }
        let h = parse(&whole).unwrap().unwrap();
        assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
        assert_eq!(h.consumed, whole.len());
    }
}

#[test]
fn proxy_v2_ipv6_local_and_tlvs() {
    let mut body = vec![0u8; 36];
    body[0] = 0x20;
    body[1] = 0x01;
    body[15] = 9;
    body[32..34].copy_from_slice(&2525u16.to_be_bytes());
    body.extend([0x04, 0, 1, 0]); // a NOOP TLV
    let h = parse(&v2(1, 0x21, &body)).unwrap().unwrap();
    assert_eq!(h.source, Some("[2001::9]:2525".parse().unwrap()));
    assert_eq!(parse(&v2(0, 0, &[])).unwrap().unwrap().source, None);
}

#[test]
fn proxy_plain_smtp_and_junk_are_refused() {
    for bad in [
        &b"EHLO client.test\r\n"[..],
        b"GET / HTTP/1.1\r\n",
        b"PROXYX",
        b"\r\n\r\nX",
    ] {
        assert_eq!(parse(bad), Err(ProxyError::NotProxy), "{bad:?}");
    }
    assert!(parse(b"PROXY TCP4 999.0.2.7 198.51.100.1 1 25\r\n").is_err());
    assert!(parse(b"PROXY TCP4 2001:db8::1 198.51.100.1 1 25\r\n").is_err());
    assert!(parse(b"PROXY TCP4 192.0.2.7 198.51.100.1 01 25\r\n").is_err());
    assert!(parse(&[b"PROXY ".as_slice(), &[b'A'; 120]].concat()).is_err());
    assert!(parse(&v2(1, 0x11, &[1, 2, 3])).is_err());
    let mut long = V2_SIGNATURE.to_vec();
    long.extend([0x21, 0x11, 0xff, 0xff]);
    assert!(
        parse(&long).is_err(),
        "length over the bound refused before buffering it"
    );
}
