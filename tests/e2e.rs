//! End-to-end tests with real programs on loopback: swaks as the sending MTA, Dovecot (LMTP in,
//! IMAP and POP3 out) and Postfix's smtp-sink as backends, and the `moat` binary in between.
//!
//! When a program is missing these tests skip with a note on stderr; `scripts/test.sh` sets
//! a missing program is a failure unless `MOAT_E2E_OPTIONAL=1` (see `common::tools`).

mod common;

use common::dovecot::Dovecot;
use common::moat::{Moat, free_port, moat_bin};
use common::sink::SmtpSink;
use common::tools::{self, swaks, swaks_output, transcript};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Moat's name in the test configurations (greeting, EHLO, Received).
const HOSTNAME: &str = "mx.e2e.test";
/// What swaks announces in EHLO (see `tools::swaks`); Moat's Received header names it.
const CLIENT_HELO: &str = "client.origin.test";

/// A message that exercises transparency: a line that is a lone dot and lines that start with
/// dots (dot-stuffing), 8-bit UTF-8, a 990-byte line, tabs, trailing blanks, empty lines, and a
/// header folded over two lines. No `%`: swaks would read `%WORD%` as a token.
fn test_message(subject: &str) -> Vec<u8> {
    let long_line = "0123456789".repeat(99);
    let lines = [
        "From: Sender <sender@origin.test>".to_string(),
        "To: Alice <alice@example.test>".to_string(),
        format!("Subject: {subject}"),
        format!("Message-ID: <{subject}@origin.test>"),
        "Date: Thu, 01 Jan 2026 00:00:00 +0000".to_string(),
        "X-Folded: first part".to_string(),
        "\tsecond part".to_string(),
        "MIME-Version: 1.0".to_string(),
        "Content-Type: text/plain; charset=utf-8".to_string(),
        "Content-Transfer-Encoding: 8bit".to_string(),
        String::new(),
        "Grüße aus Zürich — ünïcödé ✓".to_string(),
        ".".to_string(),
        ".leading dot".to_string(),
        "..two leading dots".to_string(),
        String::new(),
        "tab\there, trailing blanks   ".to_string(),
        long_line,
        String::new(),
        "-- ".to_string(),
        "last line".to_string(),
    ];
    lines
        .iter()
        .flat_map(|l| [l.as_str(), "\r\n"])
        .collect::<String>()
        .into_bytes()
}

/// Writes `message` to a file for `swaks --data @file`. swaks ends the data with CRLF "." CRLF
/// itself, so the file holds the message without its final CRLF.
fn message_file(dir: &Path, message: &[u8]) -> PathBuf {
    let path = dir.join("message.eml");
    let body = message
        .strip_suffix(b"\r\n")
        .expect("message ends with CRLF");
    std::fs::write(&path, body).unwrap();
    path
}

/// Checks that `delivered` is `original` with headers prepended, one of which is Moat's
/// `Received:` for this hop; returns that header, unfolded.
fn assert_relayed_by_moat(delivered: &[u8], original: &[u8], via: &str) -> String {
    assert!(
        delivered.ends_with(original),
        "{via}: the message does not end with the bytes sent.\n--- sent ---\n{}\n--- delivered ---\n{}",
        String::from_utf8_lossy(original),
        String::from_utf8_lossy(delivered)
    );
    let prefix = String::from_utf8_lossy(&delivered[..delivered.len() - original.len()]);
    let ours: Vec<String> = unfold(&prefix)
        .into_iter()
        .filter(|h| h.contains("(Moat)"))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "{via}: one Moat header; prepended:\n{prefix}"
    );
    let expected_from = format!("Received: from {CLIENT_HELO} ([127.0.0.1])");
    let expected_by = format!("by {HOSTNAME} (Moat) with ESMTP");
    assert!(
        ours[0].starts_with(&expected_from) && ours[0].contains(&expected_by),
        "{via}: Moat's Received should read `{expected_from} {expected_by}…`: {}",
        ours[0]
    );
    ours[0].clone()
}

/// Splits a header block into headers, joining folded lines and collapsing white space.
fn unfold(block: &str) -> Vec<String> {
    let mut headers: Vec<String> = Vec::new();
    for line in block.split("\r\n").filter(|l| !l.is_empty()) {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => headers.push(line.trim_end().to_string()),
        }
    }
    headers
        .into_iter()
        .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A configuration for `Moat::start`: `backend` is the body of the `backend:` section (indented
/// lines), `extra` more top-level YAML.
fn moat_config(backend: &str, extra: &str) -> String {
    format!(
        "hostname: {HOSTNAME}\nlisten:\n  - 127.0.0.1:{{PORT}}\ndomains:\n  - example.test\n\
         backend:\n{backend}\nlog:\n  level: debug\n{extra}"
    )
}

fn lmtp_backend(dovecot: &Dovecot) -> String {
    format!("  protocol: lmtp\n  address: {}", dovecot.lmtp)
}

/// The harness itself, without Moat: a message delivered over LMTP to Dovecot reads back over
/// IMAP and POP3 byte for byte (after the headers Dovecot adds).
#[test]
fn dovecot_harness_lmtp_delivery_readable_over_imap_and_pop3() {
    let test = "dovecot_harness_lmtp_delivery_readable_over_imap_and_pop3";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let message = test_message("harness-lmtp");
    let data = message_file(dir.path(), &message);
    swaks(
        dovecot.lmtp,
        "alice@example.test",
        &data,
        &["--protocol", "LMTP"],
    );

    let imap = dovecot.imap_messages("alice@example.test");
    let pop3 = dovecot.pop3_messages("alice@example.test");
    assert_eq!(imap.len(), 1, "IMAP: one message");
    assert_eq!(pop3, imap, "POP3 returns the same bytes as IMAP");
    assert!(
        imap[0].ends_with(&message),
        "delivered:\n{}",
        String::from_utf8_lossy(&imap[0])
    );
    assert!(dovecot.imap_messages("bob@example.test").is_empty());
}

/// The harness itself, without Moat: smtp-sink's dump gives back the exact message, once.
#[test]
fn smtp_sink_harness_records_message_exactly() {
    let test = "smtp_sink_harness_records_message_exactly";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(sink) = SmtpSink::start_or_skip(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let message = test_message("harness-sink");
    swaks(
        sink.addr,
        "alice@example.test",
        &message_file(dir.path(), &message),
        &[],
    );

    let transactions = sink.wait_transactions(1);
    assert_eq!(transactions.len(), 1);
    assert_eq!(
        transactions[0].records("X-Rcpt-Args"),
        ["<alice@example.test>"]
    );
    assert_eq!(
        String::from_utf8_lossy(&transactions[0].message),
        String::from_utf8_lossy(&message)
    );
}

/// The user's view of the whole chain: sent to Moat, relayed over LMTP into Dovecot, read back
/// over IMAP and over POP3 with Moat's Received header and the body unchanged.
#[test]
fn e2e_lmtp_message_readable_over_imap_and_pop3() {
    let test = "e2e_lmtp_message_readable_over_imap_and_pop3";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), ""));
    let message = test_message("e2e-lmtp");
    let data = message_file(moat.dir(), &message);
    let transcript = swaks(moat.addr, "alice@example.test", &data, &[]);
    assert!(
        transcript.contains(&format!("220 {HOSTNAME} ESMTP Moat")),
        "{transcript}"
    );

    let imap = dovecot.imap_messages("alice@example.test");
    assert_eq!(imap.len(), 1, "IMAP: exactly one message");
    assert_relayed_by_moat(&imap[0], &message, "IMAP");
    let pop3 = dovecot.pop3_messages("alice@example.test");
    assert_eq!(pop3.len(), 1, "POP3: exactly one message");
    assert_relayed_by_moat(&pop3[0], &message, "POP3");
    assert_eq!(pop3[0], imap[0], "IMAP and POP3 return the same bytes");
}

/// LMTP answers the end of data once per recipient, which one SMTP reply cannot carry, so Moat
/// takes one recipient per LMTP transaction and defers the next with 452 4.5.3; the sending MTA
/// sends it again in a new transaction. Each recipient ends up with exactly one copy.
#[test]
fn e2e_lmtp_one_recipient_per_transaction_each_gets_one_copy() {
    let test = "e2e_lmtp_one_recipient_per_transaction_each_gets_one_copy";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), ""));
    let message = test_message("e2e-lmtp-two");
    let data = message_file(moat.dir(), &message);
    let both = "alice@example.test,bob@example.test";
    let first = transcript(&swaks_output(moat.addr, both, &data, &[]));
    assert!(
        first.contains("RCPT TO:<bob@example.test>\n<** 452 4.5.3"),
        "the second recipient is deferred:\n{first}"
    );
    assert!(
        first.contains("<-  250 2.0.0"),
        "delivered to alice:\n{first}"
    );
    // What the sending MTA does with a 452 recipient: a new transaction for it.
    let second = swaks(moat.addr, "bob@example.test", &data, &[]);

    for user in ["alice@example.test", "bob@example.test"] {
        let messages = dovecot.imap_messages(user);
        assert_eq!(
            messages.len(),
            1,
            "{user}: exactly one copy\nfirst:\n{first}\nsecond:\n{second}"
        );
        assert_relayed_by_moat(&messages[0], &message, user);
    }
}

/// A recipient Dovecot does not know is refused at RCPT with Dovecot's own answer (Moat passes
/// the backend's reply through), and nothing is delivered.
#[test]
fn e2e_lmtp_unknown_mailbox_refused_with_backend_reply() {
    let test = "e2e_lmtp_unknown_mailbox_refused_with_backend_reply";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(dovecot) = Dovecot::start_or_skip(test) else {
        return;
    };
    let moat = Moat::start(&moat_config(&lmtp_backend(&dovecot), ""));
    let data = message_file(moat.dir(), &test_message("e2e-lmtp-unknown"));
    let output = swaks_output(moat.addr, "nobody@example.test", &data, &[]);
    let transcript = transcript(&output);
    assert!(!output.status.success(), "swaks must fail:\n{transcript}");
    assert!(
        transcript.contains("<** 550 5.1.1"),
        "RCPT refused with Dovecot's 550 5.1.1:\n{transcript}"
    );
    assert!(
        !transcript.contains("-> DATA"),
        "no DATA after the only RCPT failed:\n{transcript}"
    );
    let mail = dovecot.mail_dir().join("example.test");
    let delivered = std::fs::read_dir(&mail).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        delivered,
        0,
        "no mailbox was created under {}",
        mail.display()
    );
}

/// Relay over SMTP to Postfix's smtp-sink: the message arrives exactly once, for the right
/// envelope, with Moat's Received header and the bytes sent.
#[test]
fn e2e_smtp_backend_receives_message_once_byte_identical() {
    let test = "e2e_smtp_backend_receives_message_once_byte_identical";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let Some(sink) = SmtpSink::start_or_skip(test) else {
        return;
    };
    let backend = format!("  protocol: smtp\n  address: {}", sink.addr);
    let mut moat = Moat::start(&moat_config(&backend, ""));
    let message = test_message("e2e-smtp");
    let data = message_file(moat.dir(), &message);
    let transcript = swaks(moat.addr, "alice@example.test", &data, &[]);
    assert!(transcript.contains("<-  250 "), "{transcript}");

    // Moat relays before it answers, and a graceful stop ends every session it has with the
    // backend: once it has exited, a duplicate would already be in the sink.
    assert!(moat.terminate().success(), "{}", moat.log());
    let transactions = sink.wait_transactions(1);
    assert_eq!(
        transactions.len(),
        1,
        "exactly one transaction: {transactions:?}"
    );
    let t = &transactions[0];
    assert_eq!(t.records("X-Rcpt-Args"), ["<alice@example.test>"]);
    let mail_from = t.records("X-Mail-Args");
    assert!(
        mail_from.len() == 1 && mail_from[0].starts_with("<sender@origin.test>"),
        "envelope sender kept: {mail_from:?}"
    );
    assert_eq!(
        t.records("X-Helo-Args"),
        [HOSTNAME],
        "Moat's EHLO name (default: hostname)"
    );
    assert_relayed_by_moat(&t.message, &message, "smtp-sink");
}

/// A `moat serve` child with its stderr kept in a file; killed when dropped, printing the log if
/// the test is failing.
struct Served {
    child: Child,
    log: std::sync::Arc<common::moat::Log>,
}

impl Served {
    fn log(&self) -> String {
        self.log.text()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- moat log ----\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `moat serve` in `dir` with `args`, once it accepts connections on `addr`.
/// `moat serve ARGS` in `dir`; returns once it reports its listeners, with the first SMTP one.
fn serve_in(dir: &Path, args: &[&str]) -> (Served, SocketAddr) {
    let mut cmd = Command::new(moat_bin());
    cmd.arg("serve").args(args).current_dir(dir);
    let (child, log, ready) = common::moat::spawn_reporting(&mut cmd);
    (Served { child, log }, ready.smtp[0])
}

/// The README's run command: `moat serve` with no configuration listens on 127.0.0.1:2525 and
/// stores mail for example.test as Maildirs under ./moat-mail. If something else holds port 2525,
/// the same embedded file is run with another port via --config (said on stderr).
#[test]
fn e2e_default_config_delivers_into_maildir() {
    let test = "e2e_default_config_delivers_into_maildir";
    if !tools::have(test, &["swaks"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let default_addr: SocketAddr = ([127, 0, 0, 1], 2525).into();
    // The default file also enables the admin listener on 127.0.0.1:9925.
    let admin_free = TcpListener::bind("127.0.0.1:9925").is_ok();
    let (_moat, addr) = if admin_free && TcpListener::bind(default_addr).is_ok() {
        let (served, addr) = serve_in(dir.path(), &[]);
        assert_eq!(addr, default_addr, "the README's address");
        (served, addr)
    } else {
        eprintln!(
            "{test}: 127.0.0.1:2525 or :9925 is busy; running the default file on other ports"
        );
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/moat.yaml"))
                .unwrap();
        let text = text
            .replace("127.0.0.1:2525", "127.0.0.1:0")
            .replace("127.0.0.1:9925", "127.0.0.1:0");
        std::fs::write(dir.path().join("moat.yaml"), text).unwrap();
        serve_in(dir.path(), &["--config", "moat.yaml"])
    };
    let message = test_message("e2e-default");
    let data = message_file(dir.path(), &message);
    swaks(addr, "someone@example.test", &data, &[]);

    let new = dir.path().join("moat-mail/example.test/someone/new");
    let files: Vec<PathBuf> = std::fs::read_dir(&new)
        .unwrap_or_else(|e| panic!("{}: {e}", new.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one message in {}: {files:?}",
        new.display()
    );
    let stored = std::fs::read(&files[0]).unwrap();
    // Maildir files conventionally end lines with LF alone; CRLF is accepted too.
    let stored = if stored.windows(2).any(|w| w == b"\r\n") {
        stored
    } else {
        String::from_utf8(stored)
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes()
    };
    let stored_text = String::from_utf8_lossy(&stored);
    assert!(stored.ends_with(&message), "stored:\n{stored_text}");
    // The embedded default's hostname is mx.example.test, not the tests' HOSTNAME.
    assert!(
        unfold(&stored_text)
            .iter()
            .any(|h| h.starts_with("Received: from ")
                && h.contains("by mx.example.test (Moat) with ESMTP")),
        "Moat's Received header:\n{stored_text}"
    );
}

/// `moat check-config` refuses a file with an unknown key and names the file, line and key.
#[test]
fn e2e_check_config_unknown_key_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.yaml");
    let text = "hostname: mx.e2e.test\nlisten:\n  - 127.0.0.1:2525\ndomains:\n  - example.test\n\
                backend:\n  protocol: maildir\n  timeouts:\n    conect: 5s\n";
    assert_eq!(
        text.lines().nth(8),
        Some("    conect: 5s"),
        "the typo is on line 9"
    );
    std::fs::write(&path, text).unwrap();
    let output = Command::new(moat_bin())
        .args(["check-config", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .expect("run moat check-config");
    let said = transcript(&output);
    assert!(!output.status.success(), "check-config must fail:\n{said}");
    let location = format!("{}:9", path.display());
    assert!(said.contains(&location), "names {location}:\n{said}");
    assert!(said.contains("conect"), "names the key:\n{said}");
}

#[path = "e2e/addresses.rs"]
mod addresses;
#[path = "e2e/chunking.rs"]
mod chunking;
#[path = "e2e/dovecot_example.rs"]
mod dovecot_example;
#[path = "e2e/listen.rs"]
mod listen;
#[path = "e2e/starttls.rs"]
mod starttls;
#[path = "e2e/verdicts.rs"]
mod verdicts;
