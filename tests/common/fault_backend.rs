//! A scripted SMTP backend with fault injection, for Moat's zero-loss and smuggling tests.
//!
//! It listens on `127.0.0.1:0` and serves each connection in its own thread. The fault mode
//! (see [`Fault`]) can be changed at any time; it is read at each step of each connection.
//!
//! A message is COMMITTED (recorded in [`FaultBackend::messages`]) only when the backend
//! answers `250` after the end of data; every other outcome discards it. The backend records
//! every `MAIL FROM` and `RCPT TO` argument it receives (accepted or not), the raw bytes of
//! every DATA section, and how many bare CR / bare LF it saw inside DATA.
//!
//! Like a *vulnerable* real server, it also ends DATA at a line `.<LF>` (bare LF), not only at
//! `.<CR><LF>`: if Moat ever let such a sequence through, a smuggled second message would
//! show up here as a second MAIL FROM / a second message.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the backend does wrong. Codes are full SMTP replies (`"451 4.3.0 text"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Behaves like a well-mannered SMTP server.
    None,
    /// Sends this reply instead of the 220 greeting, then closes the connection.
    Greeting(String),
    /// Closes every new connection at once, before any greeting (a refused connection as
    /// the relay sees it).
    CloseAtConnect,
    /// Answers EHLO / HELO / LHLO with this reply.
    Ehlo(String),
    /// Answers every MAIL FROM with this reply.
    Mail(String),
    /// Answers every RCPT TO with this reply.
    Rcpt(String),
    /// Answers RCPT TO with this reply when the address contains the given text; others are
    /// accepted.
    RcptMatching(String, String),
    /// Answers the DATA command with this reply.
    Data(String),
    /// Answers the end of data with this reply (the message is discarded).
    EndOfData(String),
    /// Closes the connection after this many bytes of message data (after its 354).
    CloseMidData(usize),
    /// Reads the whole message, then closes without any reply.
    CloseAtEndOfData,
    /// Reads the whole message and never replies (until the peer closes or this time passes);
    /// the message is discarded.
    StallAtEndOfData(Duration),
    /// Like Postfix's `smtpd_timeout`: a connection idle (no command) for longer than this
    /// gets `421 4.4.2` and is closed; otherwise behaves like [`Fault::None`].
    IdleTimeout(Duration),
    /// LMTP only: at the end of data, recipients whose address contains the text get this
    /// reply (their copy is discarded); the others get 250 (their copy is committed).
    LmtpRcptEndOfData(String, String),
}

/// A committed message.
#[derive(Debug, Clone)]
pub struct Message {
    pub mail_from: String,
    pub rcpts: Vec<String>,
    /// The content after dot-unstuffing, without the terminating `.` line.
    pub data: Vec<u8>,
    /// The bytes exactly as received on the wire between 354 and the terminator line.
    pub raw: Vec<u8>,
}

impl Message {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    lmtp: bool,
    /// Advertises CHUNKING and takes `BDAT <n> LAST`.
    chunking: bool,
    connections: usize,
    mail_froms: Vec<String>,
    rcpts: Vec<String>,
    messages: Vec<Message>,
    /// Raw DATA sections of every transaction that got as far as sending data (committed or not).
    data_sections: Vec<Vec<u8>>,
    bare_newlines: usize,
    commands: Vec<String>,
    /// Connections being served right now (accepted, not yet ended).
    open: usize,
    /// Signalled whenever a connection ends or a message is committed, for the waits below
    /// (the same condition variable as `FaultBackend::changed`).
    changed: Arc<Condvar>,
}

/// The running backend. Its threads live until the test process exits.
#[derive(Clone)]
pub struct FaultBackend {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Signalled whenever a connection ends or a message is committed, for
    /// [`FaultBackend::wait_closed`] and [`FaultBackend::wait_messages_containing`].
    ended: Arc<Condvar>,
}

/// Counts a connection as open for as long as it is served.
struct Open {
    state: Arc<Mutex<State>>,
    ended: Arc<Condvar>,
}

impl Open {
    fn enter(state: &Arc<Mutex<State>>, ended: &Arc<Condvar>) -> Open {
        state.lock().unwrap().open += 1;
        Open {
            state: state.clone(),
            ended: ended.clone(),
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.state.lock().unwrap().open -= 1;
        self.ended.notify_all();
    }
}

impl FaultBackend {
    pub fn start(fault: Fault) -> FaultBackend {
        FaultBackend::start_with(fault, false)
    }

    /// An LMTP server (LHLO; one reply per accepted recipient after the end of data; each
    /// recipient that gets 250 is committed as its own [`Message`] with that one recipient).
    pub fn start_lmtp(fault: Fault) -> FaultBackend {
        FaultBackend::start_with(fault, true)
    }

    fn start_with(fault: Fault, lmtp: bool) -> FaultBackend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let ended = Arc::new(Condvar::new());
        let state = Arc::new(Mutex::new(State {
            fault: Some(fault),
            lmtp,
            changed: ended.clone(),
            ..State::default()
        }));
        let (st, signal) = (state.clone(), ended.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // Counted before the next accept, so `wait_closed` never misses a connection
                // that Moat opened before it exited.
                let open = Open::enter(&st, &signal);
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, st);
                    drop(open);
                });
            }
        });
        FaultBackend { addr, state, ended }
    }

    /// Advertises CHUNKING from the next EHLO/LHLO on, and takes `BDAT <n> LAST` (the chunk
    /// is a DATA section, not dot-stuffed; the faults after the message apply to it too).
    pub fn with_chunking(self) -> FaultBackend {
        self.state.lock().unwrap().chunking = true;
        self
    }

    /// A backend in normal (no-fault) mode.
    pub fn normal() -> FaultBackend {
        FaultBackend::start(Fault::None)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn set_fault(&self, fault: Fault) {
        self.state.lock().unwrap().fault = Some(fault);
    }

    pub fn messages(&self) -> Vec<Message> {
        self.state.lock().unwrap().messages.clone()
    }

    /// Committed messages whose content contains `needle`.
    pub fn messages_containing(&self, needle: &str) -> Vec<Message> {
        self.messages()
            .into_iter()
            .filter(|m| contains(&m.data, needle.as_bytes()))
            .collect()
    }

    /// Every `MAIL FROM:` argument received (accepted or not), as written by Moat.
    pub fn mail_froms(&self) -> Vec<String> {
        self.state.lock().unwrap().mail_froms.clone()
    }

    /// Every `RCPT TO:` argument received (accepted or not), as written by Moat.
    pub fn rcpts(&self) -> Vec<String> {
        self.state.lock().unwrap().rcpts.clone()
    }

    /// Every command line received, without CRLF.
    pub fn commands(&self) -> Vec<String> {
        self.state.lock().unwrap().commands.clone()
    }

    /// The raw DATA sections received (committed or not).
    pub fn data_sections(&self) -> Vec<Vec<u8>> {
        self.state.lock().unwrap().data_sections.clone()
    }

    /// Bare CR or bare LF bytes seen inside DATA sections (Moat must never send any).
    pub fn bare_newlines_seen(&self) -> usize {
        self.state.lock().unwrap().bare_newlines
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Waits (up to `within`) until every connection has ended; false on timeout. After the
    /// client of this backend (Moat) has exited, this is the point from which nothing more
    /// can arrive: the barrier that "no late or duplicate delivery" checks need.
    pub fn wait_closed(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut st = self.state.lock().unwrap();
        while st.open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self.ended.wait_timeout(st, left).unwrap().0;
        }
        true
    }

    /// Waits up to `timeout` until at least `n` messages containing `needle` are committed;
    /// returns how many there are.
    pub fn wait_messages_containing(&self, needle: &str, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let count = |st: &State| {
            let needle = needle.as_bytes();
            st.messages
                .iter()
                .filter(|m| contains(&m.data, needle))
                .count()
        };
        let mut st = self.state.lock().unwrap();
        loop {
            let got = count(&st);
            let left = deadline.saturating_duration_since(Instant::now());
            if got >= n || left.is_zero() {
                return got;
            }
            st = self.ended.wait_timeout(st, left).unwrap().0;
        }
    }
}

/// A loopback address on which nothing listens (connections are refused).
pub fn refused_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn current(state: &Arc<Mutex<State>>) -> Fault {
    state.lock().unwrap().fault.clone().unwrap_or(Fault::None)
}

fn count_bare(raw: &[u8]) -> usize {
    let mut n = 0;
    for (i, &b) in raw.iter().enumerate() {
        match b {
            b'\r' if raw.get(i + 1) != Some(&b'\n') => n += 1,
            b'\n' if i == 0 || raw[i - 1] != b'\r' => n += 1,
            _ => {}
        }
    }
    n
}

fn send(w: &mut TcpStream, reply: &str) -> std::io::Result<()> {
    w.write_all(reply.as_bytes())?;
    w.write_all(b"\r\n")?;
    w.flush()
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    state.lock().unwrap().connections += 1;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);

    if current(&state) == Fault::CloseAtConnect {
        let _ = w.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    if let Fault::Greeting(reply) = current(&state) {
        send(&mut w, &reply)?;
        let _ = w.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    let (lmtp, chunking) = {
        let st = state.lock().unwrap();
        (st.lmtp, st.chunking)
    };
    if lmtp {
        send(&mut w, "220 backend.test LMTP fault-backend")?;
    } else {
        send(&mut w, "220 backend.test ESMTP fault-backend")?;
    }

    let mut mail_from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if let Fault::IdleTimeout(idle) = current(&state) {
            r.get_ref().set_read_timeout(Some(idle))?;
        }
        match r.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let _ = send(&mut w, "421 4.4.2 backend.test Error: timeout exceeded");
                let _ = w.shutdown(std::net::Shutdown::Both);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        state.lock().unwrap().commands.push(text.clone());
        let upper = text.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("").to_string();
        let fault = current(&state);
        match verb.as_str() {
            "EHLO" | "HELO" | "LHLO" => {
                if let Fault::Ehlo(reply) = &fault {
                    send(&mut w, reply)?;
                } else if lmtp != (verb == "LHLO") {
                    send(&mut w, "500 5.5.1 wrong greeting command for this protocol")?;
                    continue;
                } else if verb == "HELO" {
                    send(&mut w, "250 backend.test")?;
                } else {
                    let chunking = if chunking { "250-CHUNKING\r\n" } else { "" };
                    w.write_all(
                        format!(
                            "250-backend.test\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n\
                             250-8BITMIME\r\n{chunking}250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
                        )
                        .as_bytes(),
                    )?;
                }
                mail_from = None;
                rcpts.clear();
            }
            "MAIL" => {
                let arg = text[4..].trim_start().to_string();
                let arg = strip_prefix_ci(&arg, "FROM:").trim().to_string();
                state.lock().unwrap().mail_froms.push(arg.clone());
                if let Fault::Mail(reply) = &fault {
                    send(&mut w, reply)?;
                } else if mail_from.is_some() {
                    send(&mut w, "503 5.5.1 nested MAIL")?;
                } else {
                    mail_from = Some(arg);
                    rcpts.clear();
                    send(&mut w, "250 2.1.0 sender ok")?;
                }
            }
            "RCPT" => {
                let arg = text[4..].trim_start().to_string();
                let arg = strip_prefix_ci(&arg, "TO:").trim().to_string();
                state.lock().unwrap().rcpts.push(arg.clone());
                match &fault {
                    Fault::Rcpt(reply) => send(&mut w, reply)?,
                    Fault::RcptMatching(needle, reply) if arg.contains(needle.as_str()) => {
                        send(&mut w, reply)?
                    }
                    _ if mail_from.is_none() => send(&mut w, "503 5.5.1 need MAIL")?,
                    _ => {
                        rcpts.push(arg);
                        send(&mut w, "250 2.1.5 recipient ok")?;
                    }
                }
            }
            "DATA" => {
                if let Fault::Data(reply) = &fault {
                    send(&mut w, reply)?;
                    continue;
                }
                if mail_from.is_none() || rcpts.is_empty() {
                    send(&mut w, "503 5.5.1 need RCPT")?;
                    continue;
                }
                send(&mut w, "354 go ahead")?;
                let fault = current(&state);
                if let Fault::CloseMidData(n) = fault {
                    let mut got = 0usize;
                    let mut buf = [0u8; 1];
                    // Read byte-wise so the close happens exactly after `n` bytes.
                    while got < n {
                        if r.read(&mut buf)? == 0 {
                            break;
                        }
                        got += 1;
                    }
                    let _ = w.shutdown(std::net::Shutdown::Both);
                    return Ok(());
                }
                let (raw, data) = read_data(&mut r)?;
                let from = mail_from.take().unwrap_or_default();
                let to = std::mem::take(&mut rcpts);
                if !end::end_of_data(&mut w, &mut r, &state, from, to, raw, data)? {
                    return Ok(());
                }
            }
            "BDAT" if chunking => {
                let Some(size) = end::bdat_size(&upper) else {
                    send(&mut w, "501 5.5.4 only BDAT <n> LAST is supported here")?;
                    continue;
                };
                if mail_from.is_none() || rcpts.is_empty() {
                    // RFC 3030: the chunk is read (and thrown away) even when refused.
                    end::read_chunk(&mut r, size)?;
                    send(&mut w, "503 5.5.1 need RCPT")?;
                    continue;
                }
                let Some(chunk) = end::read_chunk_or_close(&mut r, &w, &state, size)? else {
                    return Ok(());
                };
                let from = mail_from.take().unwrap_or_default();
                let to = std::mem::take(&mut rcpts);
                if !end::end_of_data(&mut w, &mut r, &state, from, to, chunk.clone(), chunk)? {
                    return Ok(());
                }
            }
            "RSET" => {
                mail_from = None;
                rcpts.clear();
                send(&mut w, "250 2.0.0 ok")?;
            }
            "NOOP" => send(&mut w, "250 2.0.0 ok")?,
            "QUIT" => {
                send(&mut w, "221 2.0.0 bye")?;
                return Ok(());
            }
            _ => send(&mut w, "500 5.5.1 unknown command")?,
        }
    }
}

#[path = "fault_backend_end.rs"]
mod end;

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> &'a str {
    if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
        &s[prefix.len()..]
    } else {
        s
    }
}

/// Reads DATA up to a terminator line (`.<CR><LF>` or, like a vulnerable server, `.<LF>`).
/// Returns (raw bytes before the terminator line, unstuffed content).
fn read_data(r: &mut BufReader<TcpStream>) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "EOF in DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((raw, data));
        }
        raw.extend_from_slice(&line);
        if line.first() == Some(&b'.') {
            data.extend_from_slice(&line[1..]);
        } else {
            data.extend_from_slice(&line);
        }
    }
}
