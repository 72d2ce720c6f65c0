//! Minimal blocking IMAP4rev1 and POP3 clients that read whole messages back byte for byte, the
//! way a mail user agent would. Only what the tests need: plaintext login on loopback, fetch or
//! retrieve every message of the inbox.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn connect(addr: SocketAddr) -> (BufReader<TcpStream>, TcpStream) {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let writer = stream.try_clone().unwrap();
    (BufReader::new(stream), writer)
}

/// One line including its CRLF; panics on EOF so a dropped connection fails loudly.
fn read_line(reader: &mut BufReader<TcpStream>, context: &str) -> Vec<u8> {
    let mut line = Vec::new();
    let n = reader
        .read_until(b'\n', &mut line)
        .unwrap_or_else(|e| panic!("{context}: read: {e}"));
    assert!(n > 0, "{context}: connection closed by the server");
    line
}

/// Logs in over IMAP, selects INBOX and returns every message (`BODY.PEEK[]`, the exact RFC 5322
/// bytes the server stores), in sequence order.
pub fn imap_fetch_all(addr: SocketAddr, user: &str, password: &str) -> Vec<Vec<u8>> {
    imap_fetch_folder(addr, user, password, "INBOX")
}

/// As `imap_fetch_all`, from `folder` (which must exist).
pub fn imap_fetch_folder(
    addr: SocketAddr,
    user: &str,
    password: &str,
    folder: &str,
) -> Vec<Vec<u8>> {
    let (mut reader, mut writer) = connect(addr);
    let greeting = read_line(&mut reader, "IMAP greeting");
    assert!(
        greeting.starts_with(b"* OK"),
        "IMAP greeting: {}",
        lossy(&greeting)
    );

    imap_command(
        &mut reader,
        &mut writer,
        "a1",
        &format!("LOGIN \"{user}\" \"{password}\""),
    );
    let select = imap_command(
        &mut reader,
        &mut writer,
        "a2",
        &format!("SELECT \"{folder}\""),
    );
    let exists = select
        .iter()
        .find_map(|line| {
            let text = lossy(line);
            let rest = text.strip_prefix("* ")?;
            let (n, word) = rest.trim_end().split_once(' ')?;
            (word == "EXISTS").then(|| n.parse::<usize>().unwrap())
        })
        .expect("SELECT reports EXISTS");
    let mut messages = Vec::new();
    if exists > 0 {
        writer.write_all(b"a3 FETCH 1:* (BODY.PEEK[])\r\n").unwrap();
        loop {
            let line = read_line(&mut reader, "IMAP FETCH");
            if line.starts_with(b"a3 ") {
                assert!(line.starts_with(b"a3 OK"), "FETCH: {}", lossy(&line));
                break;
            }
            // `* n FETCH (BODY[] {size}` CRLF, then exactly `size` bytes, then `)` CRLF.
            if let Some(size) = literal_size(&line) {
                let mut body = vec![0u8; size];
                reader.read_exact(&mut body).expect("read IMAP literal");
                messages.push(body);
            }
        }
    }
    imap_command(&mut reader, &mut writer, "a4", "LOGOUT");
    assert_eq!(messages.len(), exists, "FETCH returned every message");
    messages
}

/// Sends a tagged command and returns the untagged lines, panicking unless it ends in OK.
fn imap_command(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
    tag: &str,
    command: &str,
) -> Vec<Vec<u8>> {
    writer
        .write_all(format!("{tag} {command}\r\n").as_bytes())
        .unwrap();
    let mut untagged = Vec::new();
    loop {
        let line = read_line(reader, command);
        if line.starts_with(format!("{tag} ").as_bytes()) {
            assert!(
                line.starts_with(format!("{tag} OK").as_bytes()),
                "IMAP {command}: {}",
                lossy(&line)
            );
            return untagged;
        }
        untagged.push(line);
    }
}

/// The size of an IMAP literal announced at the end of `line` (`... {123}` CRLF).
fn literal_size(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let open = text.rfind('{')?;
    text[open + 1..].strip_suffix('}')?.parse().ok()
}

/// Logs in over POP3 and retrieves every message (RETR, dot-unstuffed, CRLF line ends kept),
/// without deleting anything.
pub fn pop3_retrieve_all(addr: SocketAddr, user: &str, password: &str) -> Vec<Vec<u8>> {
    let (mut reader, mut writer) = connect(addr);
    pop3_expect_ok(&mut reader, "POP3 greeting");
    for command in [format!("USER {user}"), format!("PASS {password}")] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        pop3_expect_ok(&mut reader, &command);
    }
    writer.write_all(b"STAT\r\n").unwrap();
    let stat = pop3_expect_ok(&mut reader, "STAT");
    let count: usize = lossy(&stat)
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("STAT: +OK <count> <size>");
    let mut messages = Vec::new();
    for i in 1..=count {
        writer
            .write_all(format!("RETR {i}\r\n").as_bytes())
            .unwrap();
        pop3_expect_ok(&mut reader, "RETR");
        let mut message = Vec::new();
        loop {
            let line = read_line(&mut reader, "RETR data");
            if line == b".\r\n" {
                break;
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            message.extend_from_slice(line);
        }
        messages.push(message);
    }
    writer.write_all(b"QUIT\r\n").unwrap();
    pop3_expect_ok(&mut reader, "QUIT");
    messages
}

fn pop3_expect_ok(reader: &mut BufReader<TcpStream>, context: &str) -> Vec<u8> {
    let line = read_line(reader, context);
    assert!(line.starts_with(b"+OK"), "POP3 {context}: {}", lossy(&line));
    line
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
