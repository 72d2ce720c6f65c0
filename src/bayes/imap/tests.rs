use super::*;

#[test]
fn imap_urls_give_transport_host_and_default_port() {
    let t = target("imap://127.0.0.1").unwrap();
    assert_eq!((t.implicit_tls, t.addr.as_str()), (false, "127.0.0.1:143"));
    let t = target("imaps://mail.example.test/").unwrap();
    assert_eq!(
        (t.implicit_tls, t.addr.as_str()),
        (true, "mail.example.test:993")
    );
    assert_eq!(t.host, "mail.example.test");
    let t = target("imaps://[::1]:1993").unwrap();
    assert_eq!((t.host.as_str(), t.addr.as_str()), ("::1", "[::1]:1993"));
    assert_eq!(
        target("imap://127.0.0.1:1143/").unwrap().addr,
        "127.0.0.1:1143"
    );
    assert!(target("imap://u:p@127.0.0.1").is_err());
    assert!(target("http://x").is_err());
    assert!(target("imaps://").is_err());
}

#[test]
fn literal_size_is_read_from_the_line_end() {
    assert_eq!(literal_size("* 1 FETCH (BODY[] {42}"), Some(42));
    assert_eq!(literal_size("* 1 EXISTS"), None);
}

#[test]
fn quoted_strings_escape_quotes_and_backslashes() {
    assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
}

/// A CA certificate (P-256, valid for a century) for tests that must not depend on the
/// system's CA bundle.
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBezCCASGgAwIBAgIUBJEqgIEcUmzgSrHJKxMIHWZJblYwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjYwNzI5MjlaGA8yMTI2MTEwMjA3
MjkyOVowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABFcLe/Mys+cFYY7WhufXmrMo1tEl4vwnSTYw7sM62kEyflF2O/NOQ82IbpWl
+WRB/PHczzAobl81/p/ZFju5BBejUzBRMB0GA1UdDgQWBBTmlEYgB8BnRDwZtLGl
aNjVs0v1uzAfBgNVHSMEGDAWgBTmlEYgB8BnRDwZtLGlaNjVs0v1uzAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHZCKTZUsqKDMDnZfxgdVcssbukw
E1EC09ia/uVVLsQRAiEA5Cw8kPl4i9mvX0geQDrYH5LTsf2ttIGFqXlVRARbYiY=
-----END CERTIFICATE-----";

/// A fake IMAP server on loopback that sends `script` after each line it reads.
fn fake_server(greeting: &'static str, answers: &'static [&'static str]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(tcp.try_clone().unwrap());
        let mut writer = tcp;
        writer.write_all(greeting.as_bytes()).unwrap();
        for answer in answers {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            writer.write_all(answer.as_bytes()).unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    format!("imap://{addr}")
}

#[test]
fn starttls_refuses_data_injected_behind_the_ok() {
    let url = fake_server(
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
        &["m1 OK Begin TLS\r\n* 1 EXISTS\r\n"],
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, TEST_CA).unwrap();
    let err = open(&target(&url).unwrap(), Some(&ca)).err().unwrap();
    assert!(
        err.to_string()
            .contains("sent data after accepting STARTTLS"),
        "{err:#}"
    );
}

#[test]
fn starttls_asked_for_in_capability_when_the_greeting_has_none() {
    let url = fake_server(
        "* OK ready\r\n",
        &[
            "* CAPABILITY IMAP4rev1 STARTTLS\r\nm1 OK\r\n",
            "m2 NO no TLS today\r\n",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, TEST_CA).unwrap();
    let err = open(&target(&url).unwrap(), Some(&ca)).err().unwrap();
    assert!(
        format!("{err:#}").contains("STARTTLS: the IMAP server answered: NO"),
        "{err:#}"
    );
}
