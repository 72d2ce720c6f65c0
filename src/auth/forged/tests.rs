use super::*;

const HOST: &str = "mx.example.test";

#[test]
fn forged_header_claiming_moat_is_removed_with_its_folded_lines() {
    let msg = b"Received: x\r\nAuthentication-Results: MX.Example.Test;\r\n\tdkim=pass header.d=bank.test\r\nFrom: a@b.test\r\n\r\nbody\r\nAuthentication-Results: mx.example.test; in body\r\n";
    let out = strip(msg, HOST).unwrap();
    assert_eq!(
            out,
            b"Received: x\r\nFrom: a@b.test\r\n\r\nbody\r\nAuthentication-Results: mx.example.test; in body\r\n"
        );
}

#[test]
fn forged_header_with_comment_or_odd_spacing_is_removed() {
    let msg =
        b"authentication-results:(c (nested)) mx.example.test. ; spf=pass\r\nSubject: s\r\n\r\nb";
    assert_eq!(strip(msg, HOST).unwrap(), b"Subject: s\r\n\r\nb");
}

#[test]
fn other_authserv_ids_and_lookalikes_are_kept() {
    let msg = b"Authentication-Results: mx.example.test.evil; dkim=pass\r\nAuthentication-Results: relay.other.test; spf=pass\r\nX-Authentication-Results: mx.example.test; x\r\n\r\nb";
    assert_eq!(strip(msg, HOST), None);
}
