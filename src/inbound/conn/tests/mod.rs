//! Unit tests of the connection driver (`conn.rs`).

mod stage;

use super::*;

/// Every open connection holds its session task; 10,000 idle ones must stay cheap
/// (≤ 32 KiB each in all), so the task must not embed the large message-handling futures.
#[tokio::test]
async fn idle_session_task_stays_small() {
    let rt = Arc::new(Runtime::new(crate::config::Config::embedded_default()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap());
    let (client, accepted) = tokio::join!(client, listener.accept());
    let (tcp, peer) = accepted.unwrap();
    let (_tx, rx) = watch::channel(false);
    let conn = Conn::new(rt, tcp, peer, rx);
    let task = conn.run();
    let size = std::mem::size_of_val(&task);
    assert!(size <= 4096, "session task is {size} bytes");
    drop(client);
}

#[test]
fn read_buffer_is_large_only_during_data() {
    let mut buf = Vec::new();
    read_buffer(&mut buf, false);
    assert_eq!(buf.len(), COMMAND_CHUNK);
    read_buffer(&mut buf, true);
    assert_eq!(buf.len(), READ_CHUNK);
    read_buffer(&mut buf, false);
    assert_eq!((buf.len(), buf.capacity()), (COMMAND_CHUNK, COMMAND_CHUNK));
}
