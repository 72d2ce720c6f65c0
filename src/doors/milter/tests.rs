use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The Unix-socket listener: a stale socket file is replaced, and an MTA connecting to
/// it negotiates (the TCP listener is exercised by tests/doors.rs with Postfix).
#[tokio::test]
async fn unix_socket_listener_negotiates_and_replaces_a_stale_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("milter.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let rt =
        Arc::new(crate::runtime::Runtime::new(crate::config::Config::embedded_default()).unwrap());
    let current: Current = Arc::new(move || rt.clone());
    let milter = Milter::bind(&MilterListen::Unix(path.clone()), current).unwrap();
    let task = tokio::spawn(milter.run());
    let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
    let optneg = codec::Response::OptNeg {
        version: 6,
        actions: 0x1ff,
        protocol: 0,
    };
    // The MTA's `O` packet has the same layout as the reply.
    s.write_all(&optneg.encode()).await.unwrap();
    let mut answer = [0u8; 17];
    s.read_exact(&mut answer).await.unwrap();
    let reply = codec::Response::OptNeg {
        version: 6,
        actions: 0x31,
        protocol: 0,
    };
    assert_eq!(answer.to_vec(), reply.encode());
    task.abort();
}
