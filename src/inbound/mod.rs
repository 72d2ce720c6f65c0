//! The SMTP door: listening sockets, the accept loop and connection limits, the
//! PROXY header, TLS, the connection driver that runs the session core over a socket,
//! pacing, and the end-of-DATA step (`deliver`).

pub mod conn;
pub mod deliver;
pub mod listener;
pub mod pace;
pub mod proxy;
pub mod server;
pub mod slots;
pub mod stream;
pub mod tls;
