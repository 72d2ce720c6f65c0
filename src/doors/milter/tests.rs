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

/// One MTA-to-milter packet: length, command letter, data.
fn packet(command: u8, data: &[u8]) -> Vec<u8> {
    let mut p = ((data.len() + 1) as u32).to_be_bytes().to_vec();
    p.push(command);
    p.extend_from_slice(data);
    p
}

/// Reads one milter answer: its letter and data.
async fn answer(s: &mut tokio::io::DuplexStream) -> (u8, Vec<u8>) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).await.unwrap();
    (body[0], body[1..].to_vec())
}

/// A client on `lists.deny.clients` is refused at MAIL (the reply Moat gives at connect),
/// unless the MTA says it authenticated: a user sending through the MTA's submission port
/// from a listed home network is not refused by the MX's connect screen.
#[tokio::test]
async fn milter_connect_refusal_is_answered_at_mail_and_spares_authenticated_clients() {
    let yaml = "hostname: mx.example.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
                backend:\n  protocol: maildir\n  path: /nonexistent\n\
                lists:\n  deny:\n    clients: [192.0.2.66]\n";
    let config = crate::config::Config::from_yaml(yaml, "milter-test.yaml").unwrap();
    let rt = Arc::new(crate::runtime::Runtime::new(config).unwrap());
    for authenticated in [false, true] {
        let (mut mta, milter) = tokio::io::duplex(64 * 1024);
        let rt = rt.clone();
        let task = tokio::spawn(async move { conn::drive(&rt, milter).await });
        let optneg = codec::Response::OptNeg {
            version: 6,
            actions: 0x1ff,
            protocol: 0,
        };
        mta.write_all(&optneg.encode()).await.unwrap();
        assert_eq!(answer(&mut mta).await.0, b'O');
        let mut connect = b"client.example\0".to_vec();
        connect.push(b'4');
        connect.extend_from_slice(&25u16.to_be_bytes());
        connect.extend_from_slice(b"192.0.2.66\0");
        mta.write_all(&packet(b'C', &connect)).await.unwrap();
        assert_eq!(
            answer(&mut mta).await.0,
            b'c',
            "connect is answered at MAIL"
        );
        let macros: &[u8] = if authenticated {
            b"M{auth_authen}\0alice\0"
        } else {
            b"M{auth_type}\0\0"
        };
        mta.write_all(&packet(b'D', macros)).await.unwrap();
        mta.write_all(&packet(b'M', b"<alice@example.test>\0"))
            .await
            .unwrap();
        let (letter, data) = answer(&mut mta).await;
        if authenticated {
            assert_eq!(letter, b'c', "{}", String::from_utf8_lossy(&data));
        } else {
            assert_eq!(letter, b'y');
            let reply = String::from_utf8_lossy(&data);
            assert!(reply.starts_with("554 5.7.1 "), "{reply}");
            assert!(reply.contains("(ref="), "{reply}");
        }
        drop(mta);
        task.await.unwrap();
    }
}
