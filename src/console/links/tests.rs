use super::*;

#[test]
fn console_signed_link_round_trip() {
    let s = Signer::new(b"0123456789abcdef0123456789abcdef");
    let t = s.sign("1764814800-12345-42-0", "bob@example.test", 1000);
    let link = s.check(&t, 999).unwrap();
    assert_eq!(link.id, "1764814800-12345-42-0");
    assert_eq!(link.recipient, "bob@example.test");
}

#[test]
fn console_signed_link_expired_is_refused() {
    let s = Signer::new(b"k");
    let t = s.sign("a-1", "bob@example.test", 1000);
    assert_eq!(s.check(&t, 1000), Err(LinkError::Expired));
}

#[test]
fn console_signed_link_replay_is_refused() {
    let s = Signer::new(b"k");
    let t = s.sign("a-1", "bob@example.test", 1000);
    let link = s.check(&t, 1).unwrap();
    assert!(s.consume(&link, 1));
    assert_eq!(s.check(&t, 2), Err(LinkError::Used));
    assert!(!s.consume(&link, 2));
}

#[test]
fn console_signed_link_tampering_is_refused() {
    let s = Signer::new(b"k");
    let t = s.sign("a-1", "bob@example.test", 1000);
    // Another message id, another recipient, a later expiry: the MAC no longer holds.
    let forged = t.replacen("a-1", "a-2", 1);
    assert_eq!(s.check(&forged, 1), Err(LinkError::BadSignature));
    let other = Signer::new(b"other key");
    assert_eq!(other.check(&t, 1), Err(LinkError::BadSignature));
    assert_eq!(s.check("garbage", 1), Err(LinkError::Malformed));
}
