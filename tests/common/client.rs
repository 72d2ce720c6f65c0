//! The one SMTP test client: raw bytes out, whole replies in, over any stream.
//!
//! - Blocking, over anything `Read + Write`: a `TcpStream` (`Client::connect`, or
//!   `connect_from` a chosen loopback source address), or a TLS stream after STARTTLS.
//! - Async, over a tokio stream wrapped in [`Async`] (`Client::connect_async`): for tests
//!   that run Moat in-process on the same runtime, paused clock included.
//!
//! Replies are cut from a buffer (`complete_reply_len`), so reading never blocks on more than
//! the reply asked for. Before a TLS handshake, [`Client::into_stream`] hands the stream
//! over and fails the test if the server sent bytes past the reply (nothing may follow
//! STARTTLS's 220 in plaintext).

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long a blocking read waits for the server by default (a loaded CI machine).
const READ_BOUND: Duration = Duration::from_secs(30);
/// The same bound for async reads (tokio's clock: paused tests reach it only when idle).
const ASYNC_READ_BOUND: Duration = Duration::from_secs(30);

/// An SMTP client over `S`. `stream` is public for socket options (read timeouts).
pub struct Client<S> {
    pub stream: S,
    /// Bytes read past the last reply returned.
    buf: Vec<u8>,
}

/// The client over plain TCP, blocking: most tests' client.
pub type TcpClient = Client<TcpStream>;

/// A tokio stream, for the async methods of [`Client`].
pub struct Async<S>(pub S);

impl<S> Client<S> {
    /// A client over an already connected stream (TLS, or bound to a chosen address).
    pub fn new(stream: S) -> Client<S> {
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// The stream, for a TLS handshake; panics if the server sent bytes past the last reply.
    pub fn into_stream(self) -> S {
        assert!(
            self.buf.is_empty(),
            "the server sent {:?} after the reply",
            String::from_utf8_lossy(&self.buf)
        );
        self.stream
    }

    /// One complete reply from the buffer, if there is one.
    fn take_reply(&mut self) -> Option<String> {
        let end = complete_reply_len(&self.buf)?;
        let reply: Vec<u8> = self.buf.drain(..end).collect();
        Some(String::from_utf8_lossy(&reply).into_owned())
    }

    /// What is left when the server closed mid-reply (usually nothing).
    fn take_rest(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned()
    }
}

impl Client<TcpStream> {
    pub fn connect(addr: SocketAddr) -> Client<TcpStream> {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(READ_BOUND)).unwrap();
        Client::new(stream)
    }

    /// Connects from the local address `source` (any 127.x.y.z works on Linux loopback), so a
    /// test can tell the client's address from that of a proxy in between.
    pub fn connect_from(source: IpAddr, addr: SocketAddr) -> Client<TcpStream> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )
        .unwrap();
        socket.bind(&SocketAddr::new(source, 0).into()).unwrap();
        socket.connect(&addr.into()).unwrap();
        let stream: TcpStream = socket.into();
        stream.set_read_timeout(Some(READ_BOUND)).unwrap();
        Client::new(stream)
    }

    /// Alias of `new`, the name the tests used for a pre-connected `TcpStream`.
    pub fn from_stream(stream: TcpStream) -> Client<TcpStream> {
        Client::new(stream)
    }
}

impl<S: Read + Write> Client<S> {
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
        self.stream.flush().unwrap();
    }

    /// Reads one complete (possibly multi-line) reply and returns it as text.
    /// Returns what was read (usually "") if the server closed the connection first.
    pub fn reply(&mut self) -> String {
        loop {
            if let Some(reply) = self.take_reply() {
                return reply;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return self.take_rest(),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends a command line (CRLF added) and returns the reply.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// True when the server has closed the connection (EOF or an error within the read
    /// timeout) with nothing more to read.
    pub fn is_closed(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) | Err(_) => true,
            Ok(_) => {
                self.buf.push(b[0]);
                false
            }
        }
    }
}

impl Client<Async<tokio::net::TcpStream>> {
    /// Connects and reads the greeting, which must be 220.
    pub async fn connect_async(addr: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut c = Client::new(Async(stream));
        let greeting = c.reply_async().await;
        assert!(greeting.starts_with("220 "), "{greeting:?}");
        c
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<Async<S>> {
    pub async fn send_async(&mut self, bytes: &[u8]) {
        self.stream.0.write_all(bytes).await.unwrap();
    }

    /// One whole reply (all lines), or what was read (usually "") at EOF. Fails the test if
    /// none comes within `ASYNC_READ_BOUND` of tokio's clock.
    pub async fn reply_async(&mut self) -> String {
        loop {
            if let Some(reply) = self.take_reply() {
                return reply;
            }
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout(ASYNC_READ_BOUND, self.stream.0.read(&mut chunk));
            match read.await.expect("a reply within the bound") {
                Ok(0) | Err(_) => return self.take_rest(),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    pub async fn cmd_async(&mut self, line: &str) -> String {
        self.send_async(format!("{line}\r\n").as_bytes()).await;
        self.reply_async().await
    }

    /// True when the server has closed the connection with nothing more to read.
    pub async fn is_closed_async(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut b = [0u8; 1];
        let read = tokio::time::timeout(ASYNC_READ_BOUND, self.stream.0.read(&mut b));
        match read.await.expect("EOF within the bound") {
            Ok(0) | Err(_) => true,
            Ok(_) => {
                self.buf.push(b[0]);
                false
            }
        }
    }
}

/// Length of the first complete reply in `buf` (through the last line's CRLF), if any. A
/// line shorter than four bytes ends the reply (it cannot be a continuation).
pub fn complete_reply_len(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(pos) = buf[start..].windows(2).position(|w| w == b"\r\n") {
        let line = &buf[start..start + pos];
        let end = start + pos + 2;
        if line.len() < 4 || line[3] == b' ' {
            return Some(end);
        }
        start = end;
    }
    None
}
