use super::*;

#[test]
fn keys_under_1024_bits_are_a_key_problem() {
    assert_eq!(short(512).unwrap(), "512-bit key, under 1024, RFC 8301 3.2");
    assert_eq!(
        short(1023).unwrap(),
        "1023-bit key, under 1024, RFC 8301 3.2"
    );
    assert_eq!(short(0).unwrap(), "not a usable public key");
    assert_eq!(short(1024), None);
    assert_eq!(short(usize::MAX), None, "Ed25519");
}

fn key(record: &str) -> DomainKey {
    use mail_auth::common::parse::TxtRecordParser;
    let p = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
    DomainKey::parse(format!("v=DKIM1; {record}; p={p}").as_bytes()).unwrap()
}

#[test]
fn testing_flag_bit_is_mail_auths() {
    assert_ne!(key("t=y").f & TESTING, 0);
    assert_eq!(key("t=s").f & TESTING, 0);
    assert_eq!(key("k=rsa").f & TESTING, 0);
}

#[test]
fn key_h_and_t_flags_judge_the_result() {
    let sha1 = key("h=sha1");
    let (res, why) = judge(&sha1, Res::Pass, "s", "").unwrap();
    assert_eq!(res, Res::PermError);
    assert_eq!(why, "key s: h= does not allow sha256, RFC 6376 3.6.1");
    assert_eq!(judge(&key("h=sha1:sha256"), Res::Pass, "s", ""), None);
    assert_eq!(judge(&key("h=sha256"), Res::Pass, "s", ""), None);
    assert_eq!(judge(&key("k=rsa"), Res::Fail, "s", "x"), None);
    let testing = key("t=y");
    assert_eq!(judge(&testing, Res::Pass, "s", ""), None);
    let (res, why) = judge(&testing, Res::Fail, "s", "bad signature").unwrap();
    assert_eq!(res, Res::Neutral);
    assert_eq!(
        why,
        "key s: t=y testing mode, bad signature ignored, RFC 6376 3.6.1"
    );
}

#[test]
fn only_hash_and_signature_failures_are_rechecked() {
    let bh = Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch);
    assert!(worth_checking(&DkimResult::Neutral(bh.clone())));
    assert!(!worth_checking(&DkimResult::Fail(bh)));
    assert!(!worth_checking(&DkimResult::Pass));
    assert!(!worth_checking(&DkimResult::None));
}
