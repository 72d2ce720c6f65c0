use super::*;

const DKIM: &str = " v=1; a=rsa-sha256; c=relaxed/relaxed; d=Sender.test; s=s1;\r\n\th=from:to:subject; bh=YWJjZA==; b=ZWZnaA==\r\n";
const AMS: &str = " i=1; a=rsa-sha256; c=relaxed/relaxed; d=forward.test; s=arc; t=1700000000;\r\n\th=from:to:subject; bh=YWJjZA==; b=ZWZnaA==\r\n";
const SEAL: &str =
    " i=2; cv=pass; a=rsa-sha256; d=forward.test; s=arc; t=1700000000; b=ZWZnaA==\r\n";

/// `text` with tag `name`'s spec replaced by `spec` (or removed when empty).
fn with(text: &str, name: &str, spec: &str) -> String {
    text.split(';')
        .map(|s| {
            if s.trim().split('=').next() == Some(name) {
                spec.to_string()
            } else {
                s.to_string()
            }
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(";")
}

fn err(text: &str, kind: Kind) -> String {
    check(text.as_bytes(), kind).unwrap_err()
}

#[test]
fn strict_valid_fields_pass_with_their_labels() {
    let d = check(DKIM.as_bytes(), Kind::Dkim).unwrap();
    assert_eq!(
        (d.domain.as_str(), d.selector.as_str()),
        ("sender.test", "s1")
    );
    let ams = check(AMS.as_bytes(), Kind::Ams).unwrap();
    assert_eq!(ams.instance, Some(1));
    let seal = check(SEAL.as_bytes(), Kind::Seal).unwrap();
    assert_eq!((seal.instance, seal.cv), (Some(2), Some(Cv::Pass)));
}

#[test]
fn strict_dkim_without_v1_is_permfail() {
    assert_eq!(err(&with(DKIM, "v", ""), Kind::Dkim), "no v= tag");
    assert_eq!(
        err(&with(DKIM, "v", " v=2"), Kind::Dkim),
        "v= is not 1, RFC 6376 6.1.1"
    );
}

#[test]
fn strict_algorithm_required_and_rsa_sha1_never_valid() {
    for (text, kind) in [(DKIM, Kind::Dkim), (AMS, Kind::Ams), (SEAL, Kind::Seal)] {
        assert_eq!(err(&with(text, "a", ""), kind), "no a= tag");
        assert_eq!(err(&with(text, "a", " a="), kind), "empty a= tag");
        assert_eq!(
            err(&with(text, "a", " a=rsa-sha1"), kind),
            "a=rsa-sha1 is not valid, RFC 8301 3.1"
        );
        assert_eq!(
            err(&with(text, "a", " a=rsa-md5"), kind),
            "unknown a= algorithm"
        );
    }
    assert!(check(with(DKIM, "a", " a=ed25519-sha256").as_bytes(), Kind::Dkim).is_ok());
    assert_eq!(
        err(&with(SEAL, "a", " a=ed25519-sha256"), Kind::Seal),
        "unknown a= algorithm"
    );
}

#[test]
fn strict_every_required_tag_missing_or_empty() {
    for (text, kind) in [(DKIM, Kind::Dkim), (AMS, Kind::Ams), (SEAL, Kind::Seal)] {
        for name in kind.required() {
            assert_eq!(err(&with(text, name, ""), kind), format!("no {name}= tag"));
            let empty = format!(" {name}=");
            assert_eq!(
                err(&with(text, name, &empty), kind),
                format!("empty {name}= tag")
            );
        }
    }
}

#[test]
fn strict_invalid_values() {
    let cases = [
        (DKIM, Kind::Dkim, "b", " b=ZWZ!aA==", "b= is not base64"),
        (DKIM, Kind::Dkim, "bh", " bh=YWJjZA=", "bh= is not base64"),
        (DKIM, Kind::Dkim, "d", " d=bad..test", "invalid d= domain"),
        (DKIM, Kind::Dkim, "d", " d=a@b.test", "invalid d= domain"),
        (DKIM, Kind::Dkim, "s", " s=s 1", "invalid s= selector"),
        (
            DKIM,
            Kind::Dkim,
            "c",
            " c=relaxed/loose",
            "invalid c= canonicalization",
        ),
        (
            DKIM,
            Kind::Dkim,
            "h",
            " h=to:subject",
            "h= does not sign From, RFC 6376 6.1.1",
        ),
        (DKIM, Kind::Dkim, "h", " h=from::to", "invalid h= list"),
        (
            AMS,
            Kind::Ams,
            "h",
            " h=from:ARC-Seal",
            "AMS signs ARC-Seal, RFC 8617 4.1.2",
        ),
        (AMS, Kind::Ams, "i", " i=0", "invalid i= instance"),
        (AMS, Kind::Ams, "i", " i=51", "invalid i= instance"),
        (AMS, Kind::Ams, "i", " i=+1", "invalid i= instance"),
        (AMS, Kind::Ams, "t", " t=soon", "t= is not a number"),
        (SEAL, Kind::Seal, "cv", " cv=Pass", "invalid cv= value"),
        (SEAL, Kind::Seal, "cv", " cv=neutral", "invalid cv= value"),
        (SEAL, Kind::Seal, "i", " i=x", "invalid i= instance"),
    ];
    for (text, kind, name, spec, want) in cases {
        assert_eq!(err(&with(text, name, spec), kind), want, "{spec}");
    }
    let with_h = format!("{SEAL}; h=from");
    assert_eq!(
        err(&with_h, Kind::Seal),
        "h= in an ARC-Seal, RFC 8617 4.1.3"
    );
    let dkim_i = format!("{}; i=a@other.test", DKIM.trim_end());
    assert_eq!(
        err(&dkim_i, Kind::Dkim),
        "i= domain is not d= or below it, RFC 6376 6.1.1"
    );
    let dkim_i = format!("{}; i=a@mail.sender.test", DKIM.trim_end());
    assert!(check(dkim_i.as_bytes(), Kind::Dkim).is_ok());
    let expiry = format!("{}; x=1600000000", AMS.trim_end());
    assert_eq!(err(&expiry, Kind::Ams), "x= before t=");
}

#[test]
fn strict_grammar_errors_come_first() {
    let dup = format!("{}; s=s2", DKIM.trim_end());
    assert_eq!(err(&dup, Kind::Dkim), "tag s= appears twice");
    let case = with(SEAL, "s", " S=arc");
    assert_eq!(err(&case, Kind::Seal), "no s= tag", "S= is not s=");
    let empty = SEAL.replace("; s=arc;", "; s=arc;;");
    assert_eq!(err(&empty, Kind::Seal), "empty tag-spec");
}

#[test]
fn strict_label_reads_invalid_fields_leniently() {
    assert_eq!(
        label(b" v=1; d=Sender.test; s=s1; d=other.test;;"),
        ("sender.test".into(), "s1".into())
    );
    assert_eq!(label(b"garbage"), (String::new(), String::new()));
}

/// Deterministic mutations of valid fields (every byte deleted, or replaced by a byte that
/// matters to the grammar): the checks answer, never panic, and a field that passes still
/// has every required tag.
#[test]
fn strict_checks_never_panic_on_mutated_fields() {
    let bytes = [
        b';', b'=', b' ', b'\r', b'\n', b'\t', 0, 0xff, b'A', b'1', b'/',
    ];
    for (text, kind) in [(DKIM, Kind::Dkim), (AMS, Kind::Ams), (SEAL, Kind::Seal)] {
        let text = text.as_bytes();
        for at in 0..text.len() {
            let mut variants = vec![[&text[..at], &text[at + 1..]].concat()];
            for b in bytes {
                let mut v = text.to_vec();
                v[at] = b;
                variants.push(v);
            }
            for v in variants {
                if check(&v, kind).is_ok() {
                    let tags = TagList::parse(&v).unwrap();
                    assert!(kind.required().iter().all(|t| tags.get(t).is_some()));
                }
                let _ = label(&v);
            }
        }
    }
}

#[test]
fn ams_with_l_tag_is_refused_dkim_with_l_tag_is_not() {
    let ams = b"i=1; a=rsa-sha256; c=relaxed/relaxed; d=forward.test; s=arc; h=from:to; l=10; bh=AAAA; b=AAAA";
    let err = check(ams, Kind::Ams).unwrap_err();
    assert!(err.starts_with("l= in an ARC-Message-Signature"), "{err}");
    let dkim =
        b"v=1; a=rsa-sha256; c=relaxed/relaxed; d=a.test; s=s1; h=from:to; l=10; bh=AAAA; b=AAAA";
    assert!(check(dkim, Kind::Dkim).is_ok());
}
