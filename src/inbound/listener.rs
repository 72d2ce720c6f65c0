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
mod tests;
