use super::*;
use mail_auth::arc::ArcError;
use mail_auth::common::crypto::CryptoError;
use mail_auth::dkim::DkimError;
use mail_auth::{DnsError, Error};

const AAR: &[u8] = b" i=1; lists.forward.test; spf=pass smtp.mailfrom=forward.test\r\n";
const AMS: &[u8] = b" i=1; a=rsa-sha256; c=relaxed/relaxed; d=forward.test; s=arc;\r\n\th=from:to:subject; bh=YWJjZA==; b=ZWZnaA==\r\n";
const SEAL: &[u8] = b" i=1; cv=none; a=rsa-sha256; d=forward.test; s=arc; b=ZWZnaA==\r\n";

fn chain(fields: &[(&'static str, Vec<u8>)]) -> Vec<(&'static [u8], Vec<u8>)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.clone()))
        .collect()
}

fn check(fields: &[(&'static str, Vec<u8>)]) -> Result<Option<Chain>, String> {
    let owned = chain(fields);
    let headers: Vec<(&[u8], &[u8])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    structure(&headers)
}

fn one_set() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ARC-Seal", SEAL.to_vec()),
        ("ARC-Message-Signature", AMS.to_vec()),
        ("ARC-Authentication-Results", AAR.to_vec()),
        ("From", b" a@sender.test\r\n".to_vec()),
    ]
}

/// Instance `i` of the set (cv=pass above 1).
fn set(i: u32) -> Vec<(&'static str, Vec<u8>)> {
    let re = |v: &[u8]| {
        let t = String::from_utf8(v.to_vec()).unwrap();
        let t = t.replace("i=1;", &format!("i={i};"));
        if i > 1 {
            t.replace("cv=none", "cv=pass")
        } else {
            t
        }
        .into_bytes()
    };
    vec![
        ("ARC-Seal", re(SEAL)),
        ("ARC-Message-Signature", re(AMS)),
        ("ARC-Authentication-Results", re(AAR)),
    ]
}

#[test]
fn arc_structure_valid_chains() {
    assert_eq!(check(&[("From", b" a@b.test\r\n".to_vec())]), Ok(None));
    let one = check(&one_set()).unwrap().unwrap();
    assert_eq!(one.sets, 1);
    assert_eq!(
        one.keys,
        [
            ("forward.test".to_string(), "arc".to_string()),
            ("forward.test".to_string(), "arc".to_string())
        ]
    );
    let mut two = set(2);
    two.extend(set(1));
    assert_eq!(check(&two).unwrap().unwrap().sets, 2);
    // Field names are case-insensitive.
    let mut lower = one_set();
    lower[0].0 = "arc-seal";
    assert!(check(&lower).unwrap().is_some());
}

#[test]
fn arc_structure_seal_and_results_without_message_signature_fail() {
    let mut fields = one_set();
    fields.remove(1);
    assert_eq!(
        check(&fields),
        Err("ARC set i=1 has no ARC-Message-Signature".into())
    );
    assert_eq!(
        check(&[("ARC-Authentication-Results", AAR.to_vec())]),
        Err("ARC set i=1 has no ARC-Seal".into())
    );
}

#[test]
fn arc_structure_instance_gaps_and_duplicates_fail() {
    let mut gap = set(3);
    gap.extend(set(1));
    assert_eq!(check(&gap), Err("ARC set i=2 has no ARC-Seal".into()));
    let mut dup = set(1);
    dup.extend(set(1));
    assert_eq!(check(&dup), Err("two ARC-Seal fields with i=1".into()));
    let only_two = set(2);
    assert_eq!(check(&only_two), Err("ARC set i=1 has no ARC-Seal".into()));
}

#[test]
fn arc_structure_cv_rules() {
    let mut fields = one_set();
    fields[0].1 = SEAL.to_vec().replace_cv("pass");
    assert_eq!(check(&fields), Err("ARC-Seal i=1 must say cv=none".into()));
    let mut two = set(2);
    two[0].1 = two[0].1.replace_cv("fail");
    two.extend(set(1));
    assert_eq!(check(&two), Err("ARC-Seal i=2 says cv=fail".into()));
    let mut two = set(2);
    two[0].1 = two[0].1.replace_cv("none");
    two.extend(set(1));
    assert_eq!(check(&two), Err("ARC-Seal i=2 must say cv=pass".into()));
}

#[test]
fn arc_structure_field_errors_name_field_and_instance() {
    let mut fields = one_set();
    fields[0].1 =
        b" i=1; cv=none; a=rsa-sha256; d=forward.test; s=arc; s=arc; b=ZWZnaA==\r\n".to_vec();
    assert_eq!(
        check(&fields),
        Err("ARC-Seal i=1: tag s= appears twice".into())
    );
    let mut fields = one_set();
    fields[1].1 = String::from_utf8(AMS.to_vec())
        .unwrap()
        .replace("h=from", "h=arc-seal:from")
        .into_bytes();
    assert_eq!(
        check(&fields),
        Err("ARC-Message-Signature i=1: AMS signs ARC-Seal, RFC 8617 4.1.2".into())
    );
    let mut fields = one_set();
    fields[2].1 = b" lists.forward.test; i=1; spf=pass\r\n".to_vec();
    assert_eq!(
        check(&fields),
        Err("ARC-Authentication-Results i=1: invalid i= instance".into())
    );
}

#[test]
fn arc_results_instance_grammar() {
    assert_eq!(aar_instance(b" i = 7 ; mx.test; none"), Ok(7));
    assert!(aar_instance(b" i=7").is_err());
    assert!(aar_instance(b" i=51; mx.test").is_err());
    assert!(aar_instance(b" i=; mx.test").is_err());
    assert_eq!(aar_instance(b" i=1;  \r\n"), Err("no authserv-id".into()));
}

#[test]
fn arc_newest_sealer_read_leniently() {
    let mut two = set(2);
    two[0].1 = b" i=2; cv=pass; d=Second.test; d=x.test;; s=arc\r\n".to_vec();
    two.extend(set(1));
    let owned = chain(&two);
    let headers: Vec<(&[u8], &[u8])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    assert_eq!(newest_sealer(&headers).as_deref(), Some("second.test"));
}

/// Acceptance: whatever the library answers, the status is none, pass or fail (the type
/// has no other value), and only the library's pass is a pass.
#[test]
fn arc_status_only_none_pass_fail_for_every_library_outcome() {
    let errors = [
        Error::ParseError,
        Error::MissingParameters,
        Error::NoHeadersFound,
        Error::Base64,
        Error::NotAligned,
        Error::Io("x".into()),
        Error::Crypto(CryptoError::FailedVerification),
        Error::Crypto(CryptoError::IncompatibleAlgorithms),
        Error::Crypto(CryptoError::Library("x".into())),
        Error::Dns(DnsError::Resolver("timeout".into())),
        Error::Dns(DnsError::InvalidRecordType),
        Error::Dkim(DkimError::UnsupportedAlgorithm),
        Error::Dkim(DkimError::RevokedPublicKey),
        Error::Dkim(DkimError::FailedBodyHashMatch),
        Error::Arc(ArcError::ChainTooLong),
        Error::Arc(ArcError::InvalidInstance(2)),
        Error::Arc(ArcError::InvalidCV),
        Error::Arc(ArcError::HasHeaderTag),
        Error::Arc(ArcError::BrokenChain),
        Error::Arc(ArcError::FailedBodyHashMatch),
        Error::Arc(ArcError::SignatureExpired),
        Error::Arc(ArcError::SignatureLength),
    ];
    let mut outcomes = vec![DkimResult::Pass, DkimResult::None];
    for e in errors {
        outcomes.push(DkimResult::Neutral(e.clone()));
        outcomes.push(DkimResult::Fail(e.clone()));
        outcomes.push(DkimResult::PermError(e.clone()));
        outcomes.push(DkimResult::TempError(e));
    }
    for outcome in &outcomes {
        let (s, why) = status(outcome);
        let want = if *outcome == DkimResult::Pass {
            ArcStatus::Pass
        } else {
            ArcStatus::Fail
        };
        assert_eq!(s, want, "{outcome:?}");
        assert!(["none", "pass", "fail"].contains(&s.as_str()));
        assert_eq!(
            why.is_some(),
            s == ArcStatus::Fail,
            "{outcome:?}: reason kept"
        );
    }
    assert_eq!(
        status(&DkimResult::TempError(Error::Dns(DnsError::Resolver(
            "t".into()
        ))))
        .1,
        Some("temporary: DNS resolution error: t".into())
    );
}

trait ReplaceCv {
    fn replace_cv(&self, cv: &str) -> Vec<u8>;
}

impl ReplaceCv for Vec<u8> {
    fn replace_cv(&self, cv: &str) -> Vec<u8> {
        let t = String::from_utf8(self.clone()).unwrap();
        let start = t.find("cv=").unwrap();
        let end = start + t[start..].find(';').unwrap();
        format!("{}cv={cv}{}", &t[..start], &t[end..]).into_bytes()
    }
}

/// Deterministic mutations of a valid set: the structure check answers, never panics.
#[test]
fn arc_structure_never_panics_on_mutated_sets() {
    let bytes = [b';', b'=', b' ', b'\r', 0, 0xff, b'i', b'9'];
    for field in 0..3 {
        let original = one_set()[field].1.clone();
        for at in 0..original.len() {
            for b in bytes {
                let mut fields = one_set();
                fields[field].1[at] = b;
                let _ = check(&fields);
                let owned = chain(&fields);
                let headers: Vec<(&[u8], &[u8])> =
                    owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
                let _ = newest_sealer(&headers);
            }
        }
    }
}
