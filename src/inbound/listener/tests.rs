use super::bind;

/// The documented dual-stack pair on one port: both bind, and each answers its family.
/// Skipped (with a note) on a host without IPv6.
#[tokio::test]
async fn ipv4_and_ipv6_wildcards_listen_on_the_same_port() {
    let v4 = bind("0.0.0.0:0".parse().unwrap(), 16).unwrap();
    let port = v4.local_addr().unwrap().port();
    let v6 = match bind(format!("[::]:{port}").parse().unwrap(), 16) {
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            eprintln!("SKIPPED: no IPv6 on this host ({e})");
            return;
        }
        other => other.expect("[::] binds next to 0.0.0.0 on the same port"),
    };
    for (target, listener) in [
        (format!("127.0.0.1:{port}"), &v4),
        (format!("[::1]:{port}"), &v6),
    ] {
        let connect = tokio::net::TcpStream::connect(target.as_str());
        let (accepted, _) = tokio::join!(listener.accept(), connect);
        let (_, peer) = accepted.unwrap();
        assert_eq!(
            peer.is_ipv6(),
            target.starts_with('['),
            "{target} reached {peer}"
        );
    }
}

/// An IPv6 wildcard takes no IPv4 even where the host's default would (bindv6only=0).
#[tokio::test]
async fn ipv6_listener_is_ipv6_only() {
    let Ok(v6) = bind("[::]:0".parse().unwrap(), 16) else {
        eprintln!("SKIPPED: no IPv6 on this host");
        return;
    };
    assert!(socket2::SockRef::from(&v6).only_v6().unwrap());
}
