use super::*;

#[test]
fn console_imap_login_quotes_and_refuses_injection() {
    assert_eq!(quoted("a\"b\\c").unwrap(), r#""a\"b\\c""#);
    assert!(quoted("x\r\nm9 DELETE INBOX").is_none());
    assert!(quoted("").is_none());
}

#[tokio::test]
async fn console_imap_login_reads_the_tagged_answer() {
    let (client, mut server) = tokio::io::duplex(4096);
    let serve = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        server.write_all(b"* OK ready\r\n").await.unwrap();
        let mut buf = vec![0; 256];
        let n = server.read(&mut buf).await.unwrap();
        let ok = String::from_utf8_lossy(&buf[..n]).contains("\"secret\"");
        let reply: &[u8] = if ok {
            b"* CAPABILITY IMAP4rev1\r\nm1 OK done\r\n"
        } else {
            b"m1 NO bad\r\n"
        };
        server.write_all(reply).await.unwrap();
    });
    assert!(exchange(client, "\"bob\"", "\"secret\"").await.unwrap());
    serve.await.unwrap();
}
