//! Verdict parity: for the same message and envelope, the milter, the scan API, `moat scan`
//! and `moat serve` report the same action and score (read from Moat's log lines, which
//! every door writes from the verdict it acted on, and from `moat scan --json`).

use crate::common::client::TcpClient;
use crate::common::moat::moat_bin;
use crate::env::{self, GTUBE};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

const HELO: &str = "client.origin.test";
const FROM: &str = "sender@origin.test";
const RCPT: &str = "alice@example.test";

fn packet(cmd: u8, data: &[u8]) -> Vec<u8> {
    let mut p = ((data.len() + 1) as u32).to_be_bytes().to_vec();
    p.push(cmd);
    p.extend_from_slice(data);
    p
}

fn read_packet(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut p = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut p).unwrap();
    (p[0], p[1..].to_vec())
}

/// A minimal MTA side of the milter protocol: one message from 127.0.0.1; returns the final
/// answer's letter and the headers Moat inserted.
pub fn milter_send(milter: SocketAddr, message: &[u8]) -> (u8, Vec<(String, String)>) {
    let mut s = TcpStream::connect(milter).unwrap();
    let mut ask = |cmd: u8, data: &[u8]| -> Vec<(u8, Vec<u8>)> {
        s.write_all(&packet(cmd, data)).unwrap();
        let mut got = Vec::new();
        loop {
            let (c, d) = read_packet(&mut s);
            let last = !matches!(c, b'h' | b'i' | b'm' | b'q');
            got.push((c, d));
            if last {
                break;
            }
        }
        got
    };
    let optneg = [0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0, 0, 0].to_vec();
    assert_eq!(ask(b'O', &optneg)[0].0, b'O');
    assert_eq!(ask(b'C', b"client\x004\x00\x19127.0.0.1\x00")[0].0, b'c');
    assert_eq!(ask(b'H', format!("{HELO}\0").as_bytes())[0].0, b'c');
    assert_eq!(ask(b'M', format!("<{FROM}>\0").as_bytes())[0].0, b'c');
    assert_eq!(ask(b'R', format!("<{RCPT}>\0").as_bytes())[0].0, b'c');
    let split = message.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&message[..split]).to_string();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = fields.last_mut().unwrap();
            last.1 = format!("{}\n{line}", last.1);
        } else {
            let (n, v) = line.split_once(':').unwrap();
            fields.push((n.to_string(), v.trim_start().to_string()));
        }
    }
    for (n, v) in fields {
        ask(b'L', format!("{n}\0{v}\0").as_bytes());
    }
    ask(b'N', b"");
    ask(b'B', &message[split + 4..]);
    let answers = ask(b'E', b"");
    let inserted = answers
        .iter()
        .filter(|(c, _)| *c == b'i')
        .map(|(_, d)| {
            let parts: Vec<&[u8]> = d[4..].split(|&b| b == 0).collect();
            (
                String::from_utf8_lossy(parts[0]).into(),
                String::from_utf8_lossy(parts[1]).into(),
            )
        })
        .collect();
    (answers.last().unwrap().0, inserted)
}

fn scan_api_send(api: SocketAddr, message: &[u8]) -> serde_json::Value {
    let mut s = TcpStream::connect(api).unwrap();
    let head = format!(
        "POST /checkv2 HTTP/1.0\r\nIP: 127.0.0.1\r\nHelo: {HELO}\r\nFrom: {FROM}\r\nRcpt: {RCPT}\r\nContent-Length: {}\r\n\r\n",
        message.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(message).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

fn smtp_send(addr: SocketAddr, message: &[u8]) -> String {
    let mut c = TcpClient::connect(addr);
    c.reply();
    c.cmd(&format!("EHLO {HELO}"));
    c.cmd(&format!("MAIL FROM:<{FROM}>"));
    c.cmd(&format!("RCPT TO:<{RCPT}>"));
    c.cmd("DATA");
    c.send(message);
    c.send(b".\r\n");
    c.reply()
}

/// `action="…" score=…` of the log line with `needle`, the `n`-th such line.
fn logged(log: &str, needle: &str, n: usize) -> (String, String) {
    let line = log
        .lines()
        .filter(|l| l.contains(needle))
        .nth(n)
        .unwrap_or_else(|| panic!("no {n}th {needle} in\n{log}"));
    let field = |name: &str| {
        let start = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
        line[start..]
            .split(' ')
            .next()
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    (
        field("action"),
        format!("{:.1}", field("score").parse::<f64>().unwrap()),
    )
}

/// Moat's log once it has `n` lines with `needle` (log lines are written asynchronously).
fn wait_lines(moat: &crate::common::moat::Moat, needle: &str, n: usize) -> String {
    moat.wait_log_until(|log| log.lines().filter(|l| l.contains(needle)).count() >= n);
    moat.log()
}

#[test]
fn doors_parity_milter_scan_api_scan_and_serve_agree() {
    let d = env::start("");
    let samples = [
        env::message("lunch on friday", "See you at noon."),
        env::message("doors-mark offer", "Hello there."),
        env::message("doors-hold offer", "Hello there."),
        env::message("test", GTUBE),
        env::message(
            "ALL CAPS SUBJECT HERE",
            "CLICK NOW http://example.com/x FREE MONEY",
        ),
    ];
    for (i, m) in samples.iter().enumerate() {
        let (letter, _) = milter_send(d.milter, m);
        let json = scan_api_send(d.scan_api, m);
        smtp_send(d.moat.addr, m);
        let file = env::write(d.moat.dir(), &format!("m{i}.eml"), m);
        let out = Command::new(moat_bin())
            .args(["scan", "--json", "--config"])
            .arg(&d.moat.config_path)
            .args([
                "--client-ip",
                "127.0.0.1",
                "--helo",
                HELO,
                "--mail-from",
                FROM,
            ])
            .arg(&file)
            .output()
            .unwrap();
        let scan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let log = wait_lines(&d.moat, "moat::message", i + 1);
        let milter = logged(&log, "door=\"milter\"", i);
        let api = logged(&log, "door=\"scan_api\"", i);
        let serve = logged(&log, "moat::message", i);
        let scan = (
            scan["action"].as_str().unwrap().to_string(),
            format!("{:.1}", scan["score"].as_f64().unwrap()),
        );
        assert_eq!(milter, serve, "milter vs serve, message {i}");
        assert_eq!(api, serve, "scan API vs serve, message {i}");
        assert_eq!(scan, serve, "moat scan vs serve, message {i}");
        assert_eq!(json["moat_action"], serve.0.as_str());
        let expected_letter = match serve.0.as_str() {
            "reject" | "tempfail" => b'y',
            _ => b'c',
        };
        assert_eq!(letter, expected_letter, "message {i}");
    }
}
