use super::*;
use std::time::Duration;

#[test]
fn dates() {
    assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
    let t = UNIX_EPOCH + Duration::from_secs(1_795_668_026);
    assert_eq!(rfc5322_date(t), "Thu, 26 Nov 2026 04:40:26 +0000");
    let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
    assert_eq!(rfc5322_date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
}

#[test]
fn iso8601_times_are_utc_with_a_zone() {
    assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(iso8601_utc(1_795_668_026), "2026-11-26T04:40:26Z");
    assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
}

#[test]
fn received_with_tls_and_single_recipient() {
    let tls = TlsInfo {
        version: "TLSv1_3".into(),
        cipher: "TLS13_AES_128_GCM_SHA256".into(),
    };
    let h = received(&ReceivedInfo {
        helo: "client.test (evil)\r\nX-Injected: 1",
        client_ip: "192.0.2.7".parse().unwrap(),
        hostname: "mx.example.test",
        extended: true,
        smtputf8: false,
        tls: Some(&tls),
        id: "ABC-1",
        single_recipient: Some("a@example.test"),
        time: UNIX_EPOCH,
    });
    assert_eq!(
        h,
        "Received: from client.test??evil???X-Injected:?1 ([192.0.2.7])\r\n\tby mx.example.test (Moat) with ESMTPS\r\n\t(using TLSv1_3 with cipher TLS13_AES_128_GCM_SHA256)\r\n\tid ABC-1\r\n\tfor <a@example.test>;\r\n\tThu, 01 Jan 1970 00:00:00 +0000\r\n"
    );
}
