//! A minimal SMTP backend that keeps no message: it reads each one to its end, notes its
//! `Subject:` and size, and answers 250. For tests that relay more data than a backend which
//! stores every message (`fault_backend`) should hold in the test process.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One accepted message: its subject and its size in bytes (dot-unstuffed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub subject: String,
    pub size: usize,
}

/// A running sink on `127.0.0.1:0`; its threads end with the process.
pub struct CountSink {
    pub addr: SocketAddr,
    accepted: Arc<Mutex<Vec<Counted>>>,
}

impl CountSink {
    pub fn start() -> CountSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let shared = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        CountSink { addr, accepted }
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Counted> {
        self.accepted.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, accepted: &Mutex<Vec<Counted>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut input = BufReader::with_capacity(64 * 1024, stream);
    out.write_all(b"220 count-sink ESMTP\r\n")?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let verb = String::from_utf8_lossy(&line).to_ascii_uppercase();
        let reply: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
            b"250 count-sink\r\n"
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 go ahead\r\n")?;
            let counted = read_message(&mut input, &mut line)?;
            accepted.lock().unwrap().push(counted);
            b"250 2.0.0 counted\r\n"
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            b"250 2.0.0 ok\r\n"
        };
        out.write_all(reply)?;
    }
}

/// Reads through the `.` line; the subject is taken from the header section.
fn read_message(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Counted> {
    let (mut subject, mut size, mut in_header) = (String::new(), 0, true);
    loop {
        line.clear();
        if input.read_until(b'\n', line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(Counted { subject, size });
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(line);
        size += unstuffed.len();
        if in_header {
            in_header = unstuffed != b"\r\n";
            if let Some(s) = unstuffed.strip_prefix(b"Subject: ") {
                subject = String::from_utf8_lossy(s).trim().to_string();
            }
        }
    }
}
