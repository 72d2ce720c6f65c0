//! Listening sockets, for SMTP and the admin listener alike.
//!
//! One rule for IPv6: a listener on an IPv6 address accepts IPv6 only (`IPV6_V6ONLY`),
//! whatever the host's `net.ipv6.bindv6only` says. On a default Debian (`bindv6only=0`) a
//! socket on `[::]:25` would also take IPv4 and collide with `0.0.0.0:25` ("Address already
//! in use"), so the documented `listen: ["0.0.0.0:25", "[::]:25"]` could not start. With the
//! option set, that pair works on every host, and each address means the same everywhere.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpSocket};

/// A listening socket on `addr` with room for `backlog` connections not yet accepted.
/// tokio's `TcpListener::bind` leaves 128: 200 clients connecting at once overflowed it, and
/// every dropped SYN cost its client a second (then three) before the retry.
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => {
            let socket = TcpSocket::new_v6()?;
            // tokio does not expose the option; socket2 (tokio's own dependency) sets it on
            // the same descriptor.
            socket2::SockRef::from(&socket).set_only_v6(true)?;
            socket
        }
    };
    // As std and tokio do: a restarted Moat can bind while old connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

#[cfg(test)]
mod tests {
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
}
