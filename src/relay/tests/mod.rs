mod fake_backend;
mod pipeline;
mod pool;
mod smtp;
mod smtp_failure;

use super::*;
use crate::config::BackendTimeouts;

fn config(target: BackendTarget) -> BackendConfig {
    let t = Duration::from_secs(1);
    BackendConfig {
        target,
        helo: "moat.test".into(),
        timeouts: BackendTimeouts {
            connect: t,
            command: t,
            data: t,
        },
        pool: Default::default(),
        pipelining: true,
        chunking: true,
    }
}

#[test]
fn only_lmtp_limits_recipients() {
    let a = "127.0.0.1:1".to_string();
    let lmtp = Relay::new(&config(BackendTarget::Lmtp { address: a.clone() }), "mx");
    let smtp = Relay::new(&config(BackendTarget::Smtp { address: a }), "mx");
    let maildir = Relay::new(&config(BackendTarget::Maildir { path: "m".into() }), "mx");
    assert_eq!(lmtp.max_recipients_per_transaction(), Some(1));
    assert_eq!(smtp.max_recipients_per_transaction(), None);
    assert_eq!(maildir.max_recipients_per_transaction(), None);
}

#[tokio::test]
async fn maildir_through_the_public_api() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().to_path_buf();
    let relay = Relay::new(&config(BackendTarget::Maildir { path }), "mx.test");
    let mut s = relay.open().await.unwrap();
    assert_eq!(s.mail("", &MailParams::default()).await.unwrap().code, 250);
    assert_eq!(s.rcpt("a@x.test").await.unwrap().code, 250);
    assert_eq!(s.data(b"H: 1\r\n", b"\r\nhi").await.unwrap().code, 250);
    assert!(s.is_usable());
    let new = root.path().join("x.test/a/new");
    let file = std::fs::read_dir(new)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(std::fs::read(file).unwrap(), b"H: 1\r\n\r\nhi");
    s.quit().await;
}
