//! Through Moat over SMTP: what the backend receives and what the client is told.

use super::env::*;
use std::time::{Duration, Instant};

const HELO: &str = "mail.sender.test";
const RCPT: &str = "alice@example.test";

#[test]
fn auth_signed_message_passes_spf_dkim_dmarc_in_header() {
    let env = Env::start("");
    let msg = signed("a@sender.test", "pass", "sender.test");
    let reply = env.send(HELO, "a@sender.test", RCPT, &msg);
    assert!(reply.starts_with("250"), "{reply}");
    let delivered = env.delivered().unwrap();
    let ar = auth_results(&delivered);
    assert_eq!(ar.len(), 1, "{delivered}");
    let ar = &ar[0];
    assert!(
        ar.starts_with(&format!("Authentication-Results: {HOST};")),
        "{ar}"
    );
    for part in [
        "spf=pass smtp.helo=mail.sender.test",
        "spf=pass smtp.mailfrom=a@sender.test",
        "dkim=pass header.d=sender.test header.s=s1",
        "arc=none",
        "dmarc=pass header.from=sender.test policy.dmarc=reject",
        // 127.0.0.1 is `localhost` to the resolver itself (RFC 6761); see iprev tests.
        "iprev=pass (localhost.) policy.iprev=127.0.0.1",
    ] {
        assert!(ar.contains(part), "missing `{part}` in {ar}");
    }
    assert!(delivered.ends_with(std::str::from_utf8(&msg).unwrap()));
}

#[test]
fn auth_changed_body_byte_fails_dkim_and_dmarc_reject_refuses() {
    let env = Env::start("");
    let mut msg = signed("a@sender.test", "tampered", "sender.test");
    let at = msg.len() - 5;
    msg[at] ^= 0x01;
    // Sent from an envelope domain that does not align, so only DKIM could have passed DMARC.
    let reply = env.send(HELO, "bounce@nopolicy.test", RCPT, &msg);
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    assert!(
        env.backend.messages().is_empty(),
        "nothing reaches the backend"
    );

    let outcome = env.authenticate("", HELO, "bounce@nopolicy.test", &msg);
    assert!(outcome.header.contains("dkim=fail"), "{}", outcome.header);
    assert!(outcome.header.contains("dmarc=fail"), "{}", outcome.header);
    let ids = ids(&outcome);
    assert!(
        ids.contains(&"DKIM_FAIL") && ids.contains(&"DMARC_REJECT"),
        "{ids:?}"
    );
}

#[test]
fn auth_dmarc_quarantine_is_handled_as_configured() {
    let tampered = |subject| {
        let mut msg = signed("a@quarantine.test", subject, "quarantine.test");
        let at = msg.len() - 5;
        msg[at] ^= 0x01;
        msg
    };
    // Default: a score (the thresholds of the rules engine mark or quarantine it).
    let env = Env::start("");
    let reply = env.send(HELO, "bounce@nopolicy.test", RCPT, &tampered("q1"));
    assert!(reply.starts_with("250"), "{reply}");
    let ar = auth_results(&env.delivered().unwrap()).join("\n");
    assert!(
        ar.contains("dmarc=fail header.from=quarantine.test policy.dmarc=quarantine"),
        "{ar}"
    );
    // Configured to reject.
    let env = Env::start("  policy:\n    DMARC_QUARANTINE: {action: reject}");
    let reply = env.send(HELO, "bounce@nopolicy.test", RCPT, &tampered("q2"));
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    assert!(env.backend.messages().is_empty());
}

#[test]
fn auth_forged_authentication_results_do_not_reach_backend() {
    let env = Env::start("");
    let forged = format!(
        "Authentication-Results: {HOST}; dkim=pass header.d=bank.test\r\n\
         Authentication-Results: (sneaky) {};\r\n\tdmarc=pass\r\n\
         Authentication-Results: other.example; spf=pass\r\n",
        HOST.to_uppercase()
    );
    let mut msg = forged.into_bytes();
    msg.extend(message("a@sender.test", "forged"));
    let reply = env.send(HELO, "a@sender.test", RCPT, &msg);
    assert!(reply.starts_with("250"), "{reply}");
    let ar = auth_results(&env.delivered().unwrap());
    assert_eq!(ar.len(), 2, "Moat's own and the foreign one: {ar:#?}");
    assert!(ar[0].contains("dkim=none"), "{}", ar[0]);
    assert_eq!(ar[1], "Authentication-Results: other.example; spf=pass");
}

#[test]
fn auth_dead_dns_never_passes_and_does_not_hang_the_session() {
    let env = Env::start("");
    env.dns.set_dead(true);
    let msg = signed("a@sender.test", "dead-dns", "sender.test");
    let started = Instant::now();
    let reply = env.send(HELO, "a@sender.test", RCPT, &msg);
    let took = started.elapsed();
    assert!(
        reply.starts_with("250"),
        "temperror costs nothing by default: {reply}"
    );
    // Envelope and message checks share one deadline after the end of DATA.
    let bound = Duration::from_millis(DNS_TIMEOUT_MS + 700);
    eprintln!("dead DNS: reply after {took:?} (bound {bound:?})");
    assert!(took < bound, "took {took:?}, bound {bound:?}");
    let ar = auth_results(&env.delivered().unwrap()).join("\n");
    for method in ["spf", "dkim", "arc", "dmarc"] {
        assert!(
            !ar.contains(&format!("{method}=pass")),
            "no {method} pass without DNS: {ar}"
        );
    }
    assert!(ar.contains("spf=temperror smtp.mailfrom"), "{ar}");
    assert!(ar.contains("dkim=temperror"), "{ar}");
    assert!(ar.contains("dmarc=temperror"), "{ar}");

    // iprev too, for an address the resolver does not know by itself.
    let outcome = env.authenticate_from(
        "192.0.2.10".parse().unwrap(),
        "",
        HELO,
        "a@sender.test",
        &msg,
    );
    assert!(
        outcome.header.contains("iprev=temperror"),
        "{}",
        outcome.header
    );
    assert!(!outcome.header.contains("=pass"), "{}", outcome.header);

    let env = Env::start("  policy:\n    DMARC_TEMPERROR: {action: tempfail}");
    env.dns.set_dead(true);
    let reply = env.send(HELO, "a@sender.test", RCPT, &msg);
    assert!(reply.starts_with("451 4.7.1"), "{reply}");
}

#[test]
fn auth_spf_starts_at_mail_from_before_data() {
    let env = Env::start("");
    let mut c = crate::common::client::TcpClient::connect(env.moat);
    c.reply();
    c.cmd(&format!("EHLO {HELO}"));
    assert_eq!(env.dns.queries(), 0);
    assert!(c.cmd("MAIL FROM:<a@sender.test>").starts_with("250"));
    assert!(c.cmd(&format!("RCPT TO:<{RCPT}>")).starts_with("250"));
    // No DATA yet: the SPF lookups for HELO and MAIL FROM are already under way.
    assert!(
        env.dns.wait_queries(2, Duration::from_secs(2)),
        "queries: {}",
        env.dns.queries()
    );
}

#[test]
fn auth_every_dkim_signature_is_listed() {
    let env = Env::start("");
    let once = signed("a@sender.test", "two-sigs", "sender.test");
    let twice = super::signer::dkim_sign(&once, "s1", "quarantine.test");
    let reply = env.send(HELO, "a@sender.test", RCPT, &twice);
    assert!(reply.starts_with("250"), "{reply}");
    let ar = auth_results(&env.delivered().unwrap()).join("\n");
    assert!(
        ar.contains("dkim=pass header.d=quarantine.test header.s=s1"),
        "{ar}"
    );
    assert!(
        ar.contains("dkim=pass header.d=sender.test header.s=s1"),
        "{ar}"
    );
}

#[test]
fn auth_forged_authentication_results_removed_even_with_auth_disabled() {
    let backend = crate::common::fault_backend::FaultBackend::normal();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let yaml = format!(
        "hostname: {HOST}\nlisten: [\"127.0.0.1:0\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\n",
        backend.addr
    );
    let config = moat::config::Config::from_yaml(&yaml, "t.yaml").unwrap();
    assert!(!config.auth.enabled);
    let server = crate::common::inproc::InProcess::start_on(&rt, config);
    let addr = server.addr;
    let mut c = crate::common::client::TcpClient::connect(addr);
    c.reply();
    c.cmd(&format!("EHLO {HELO}"));
    c.cmd("MAIL FROM:<a@sender.test>");
    c.cmd(&format!("RCPT TO:<{RCPT}>"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(format!("Authentication-Results: {HOST}; dmarc=pass\r\n").as_bytes());
    c.send(&message("a@sender.test", "forged-off"));
    c.send(b".\r\n");
    assert!(c.reply().starts_with("250"));
    let delivered = backend.messages().last().unwrap().text();
    assert!(auth_results(&delivered).is_empty(), "{delivered}");
}

/// Resource limits under attack: thousands of DKIM signatures, each naming its own domain,
/// verified for real (the DNS server answers every key query). The client still gets its
/// answer within the one shared deadline, and Moat's Authentication-Results header stays
/// bounded instead of listing every signature.
#[test]
fn auth_thousands_of_dkim_signatures_answered_within_deadline_header_bounded() {
    use std::fmt::Write as _;
    let env = Env::start("");
    let signed_once = signed("a@sender.test", "many-sigs", "sender.test");
    let mut msg = String::new();
    for i in 0..5_000 {
        let _ = write!(
            msg,
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=d{i}.example; s=s{i};\r\n h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n b=dGVzdA==\r\n"
        );
    }
    msg.push_str(std::str::from_utf8(&signed_once).unwrap());
    let started = Instant::now();
    let reply = env.send(HELO, "a@sender.test", RCPT, msg.as_bytes());
    let took = started.elapsed();
    let delivered = env.delivered().unwrap_or_default();
    let ar = auth_results(&delivered).join("\n");
    eprintln!(
        "5,000 DKIM signatures: {reply:?} after {took:?}, {} DNS queries, header {} bytes",
        env.dns.queries(),
        ar.len()
    );
    assert!(reply.starts_with("250"), "{reply}");
    // Parsing 850 kB of signatures on a debug build takes most of it.
    let bound = Duration::from_millis(DNS_TIMEOUT_MS + 2_500);
    assert!(took < bound, "took {took:?}, bound {bound:?}");
    assert!(
        ar.len() < 16 * 1024,
        "Authentication-Results of {} bytes",
        ar.len()
    );
}

/// `moat scan` runs the server's pipeline, authentication included: on the message the
/// server refuses for a broken DKIM signature under DMARC `p=reject`, `scan --explain` lists
/// the same DKIM and DMARC findings and the same action.
#[test]
fn auth_scan_explain_lists_the_dkim_and_dmarc_findings_the_server_would() {
    let env = Env::start("");
    let mut msg = signed("a@sender.test", "scanned", "sender.test");
    let at = msg.len() - 5;
    msg[at] ^= 0x01;
    let reply = env.send(HELO, "bounce@nopolicy.test", RCPT, &msg);
    assert!(
        reply.starts_with("550 5.7.1"),
        "the server refuses: {reply}"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("moat.yaml");
    let maildir = format!(
        "  protocol: maildir\n  path: {}",
        dir.path().join("m").display()
    );
    std::fs::write(&config, config_yaml(&env.dns, &maildir, "")).unwrap();
    let eml = dir.path().join("tampered.eml");
    std::fs::write(&eml, &msg).unwrap();
    let out = std::process::Command::new(crate::common::moat::moat_bin())
        .args([
            "scan",
            "--explain",
            "--client-ip",
            "127.0.0.1",
            "--helo",
            HELO,
        ])
        .args(["--mail-from", "bounce@nopolicy.test", "--config"])
        .arg(&config)
        .arg(&eml)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "reject: {stdout}{stderr}");
    assert!(stdout.contains(": reject score="), "{stdout}");
    for id in ["DKIM_FAIL", "DMARC_REJECT (forces reject)", "SPF_"] {
        assert!(stdout.contains(id), "missing {id} in {stdout}");
    }
}
