use super::*;

fn packet(cmd: u8, data: &[u8]) -> Vec<u8> {
    let mut p = ((data.len() + 1) as u32).to_be_bytes().to_vec();
    p.push(cmd);
    p.extend_from_slice(data);
    p
}

#[test]
fn commands_are_cut_from_bytes_arriving_one_at_a_time() {
    let mut bytes = packet(b'O', &[0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff]);
    bytes.extend(packet(b'C', b"mail.example\x004\x00\x19192.0.2.1\x00"));
    bytes.extend(packet(b'M', b"<a@example.test>\x00SIZE=10\x00"));
    let mut d = Decoder::default();
    let mut got = Vec::new();
    for b in bytes {
        d.feed(&[b]);
        while let Some(c) = d.next_command().unwrap() {
            got.push(c);
        }
    }
    assert_eq!(
        got,
        [
            Command::OptNeg {
                version: 6,
                actions: 0x1ff,
                protocol: 0x1fffff
            },
            Command::Connect {
                hostname: "mail.example".into(),
                address: Some("192.0.2.1".parse().unwrap())
            },
            Command::Mail(vec!["<a@example.test>".into(), "SIZE=10".into()]),
        ]
    );
    assert_eq!(d.pending(), 0);
}

#[test]
fn macros_headers_and_ipv6_connect_parse() {
    assert_eq!(
        parse(b'D', b"C{client_addr}\x00192.0.2.1\x00j\x00mx\x00").unwrap(),
        Command::Macros {
            stage: b'C',
            pairs: vec![
                ("{client_addr}".into(), "192.0.2.1".into()),
                ("j".into(), "mx".into())
            ]
        }
    );
    assert_eq!(
        parse(b'D', b"H").unwrap(),
        Command::Macros {
            stage: b'H',
            pairs: vec![]
        }
    );
    assert_eq!(
        parse(b'L', b"Subject\x00 hi\x00").unwrap(),
        Command::Header {
            name: "Subject".into(),
            value: b" hi".to_vec()
        }
    );
    let c = parse(b'C', b"h\x006\x00\x19IPv6:2001:db8::1\x00").unwrap();
    assert_eq!(
        c,
        Command::Connect {
            hostname: "h".into(),
            address: Some("2001:db8::1".parse().unwrap())
        }
    );
    let unix = parse(b'C', b"localhost\x00L\x00\x00/tmp/s\x00").unwrap();
    assert!(matches!(unix, Command::Connect { address: None, .. }));
}

#[test]
fn packet_bounds_are_strict() {
    let mut d = Decoder::default();
    d.feed(&[0, 0, 0, 0]);
    assert_eq!(d.next_command(), Err(CodecError::Length(0)));
    let mut d = Decoder::default();
    d.feed(&((MAX_PACKET + 1) as u32).to_be_bytes());
    assert!(matches!(d.next_command(), Err(CodecError::Length(_))));
    let mut d = Decoder::default();
    d.feed(&(MAX_PACKET as u32).to_be_bytes());
    assert_eq!(
        d.next_command(),
        Ok(None),
        "a maximal packet is awaited, not refused"
    );
}

#[test]
fn malformed_packets_are_errors() {
    for (cmd, data) in [
        (b'O', &b"\x00\x00\x00\x06"[..]),
        (b'D', b""),
        (b'D', b"Cname\x00"),
        (b'D', b"Cname"),
        (b'C', b"host"),
        (b'C', b"host\x004\x00"),
        (b'C', b"host\x004\x00\x19not-an-ip\x00"),
        (b'H', b"helo"),
        (b'H', b"a\x00b\x00"),
        (b'L', b"Subject\x00"),
        (b'M', b""),
        (b'Z', b""),
    ] {
        assert!(parse(cmd, data).is_err(), "{} {:?}", cmd as char, data);
    }
}

#[test]
fn responses_encode_with_length_prefix() {
    assert_eq!(Response::Continue.encode(), [0, 0, 0, 1, b'c']);
    assert_eq!(
        Response::ReplyCode("550 5.7.1 no".into()).encode(),
        packet(b'y', b"550 5.7.1 no\x00")
    );
    assert_eq!(
        Response::ChangeHeader {
            index: 2,
            name: "X-Spam-Flag".into(),
            value: String::new()
        }
        .encode(),
        packet(b'm', b"\x00\x00\x00\x02X-Spam-Flag\x00\x00")
    );
    let o = Response::OptNeg {
        version: 6,
        actions: 0x31,
        protocol: 0,
    };
    assert_eq!(
        o.encode(),
        packet(b'O', &[0, 0, 0, 6, 0, 0, 0, 0x31, 0, 0, 0, 0])
    );
}
