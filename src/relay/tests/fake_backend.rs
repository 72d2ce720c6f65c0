//! A tiny scripted SMTP/LMTP backend on 127.0.0.1:0 that records every byte it receives, and
//! how the bytes arrived (which commands came in one write), and helpers for the relay tests.
//! It takes DATA (ended by `<DOT>`) and `BDAT <n> LAST` (the chunk is read by its length and
//! answered like `<DOT>`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::config::{BackendConfig, BackendTarget, BackendTimeouts};
use crate::relay::{BackendSession, Relay};
use crate::smtp::{BodyType, MailParams};

/// What the fake backend does in answer to a command line (or to the end of data, `<DOT>`).
pub(super) enum Act {
    Reply(String),
    /// Sends the reply, then closes the connection.
    ReplyThenClose(String),
    Close,
    /// Never answers.
    Stall,
}

pub(super) fn r(s: &str) -> Act {
    Act::Reply(s.to_string())
}

pub(super) const CAPS_ALL: &str =
    "250-fake.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 1000000\r\n250 SMTPUTF8\r\n";
pub(super) const CAPS_NONE: &str = "250 fake.test\r\n";
/// Everything but PIPELINING: the lockstep path.
pub(super) const CAPS_LOCKSTEP: &str =
    "250-fake.test\r\n250-8BITMIME\r\n250-SIZE 1000000\r\n250 SMTPUTF8\r\n";
/// PIPELINING and CHUNKING, as Dovecot's LMTP advertises them.
pub(super) const CAPS_CHUNKING: &str =
    "250-fake.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250 SIZE 1000000\r\n";

/// A well-behaved backend with the given EHLO/LHLO answer.
pub(super) fn standard(ehlo: &'static str) -> impl Fn(&str) -> Act + Send + Sync + 'static {
    move |cmd| match cmd.split([' ', ':']).next().unwrap_or("") {
        "EHLO" | "LHLO" => r(ehlo),
        "HELO" => r("250 fake.test\r\n"),
        "MAIL" => r("250 2.1.0 Ok\r\n"),
        "RCPT" => r("250 2.1.5 Ok\r\n"),
        "DATA" => r("354 End data with <CR><LF>.<CR><LF>\r\n"),
        "<DOT>" => r("250 2.0.0 Ok: queued as 1\r\n"),
        "RSET" => r("250 2.0.0 Ok\r\n"),
        "QUIT" => r("221 2.0.0 Bye\r\n"),
        _ => r("500 5.5.1 What?\r\n"),
    }
}

/// `standard(ehlo)` except for the commands `over` answers.
pub(super) fn with(
    ehlo: &'static str,
    over: impl Fn(&str) -> Option<Act> + Send + Sync + 'static,
) -> impl Fn(&str) -> Act + Send + Sync + 'static {
    let base = standard(ehlo);
    move |cmd| over(cmd).unwrap_or_else(|| base(cmd))
}

pub(super) struct Fake {
    pub(super) address: String,
    received: Arc<Mutex<Vec<u8>>>,
    arrivals: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// The received bytes, and the groups in which they arrived.
#[derive(Clone, Default)]
struct Log {
    received: Arc<Mutex<Vec<u8>>>,
    arrivals: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Bytes of the arrival in progress.
    pending: Arc<Mutex<Vec<u8>>>,
}

impl Log {
    /// Records `bytes`; an arrival ends when nothing more is buffered, i.e. the next bytes
    /// can only come from a later write of the client (which in lockstep waits for a reply).
    fn record(&self, bytes: &[u8], more_buffered: bool) {
        self.received.lock().unwrap().extend_from_slice(bytes);
        let mut pending = self.pending.lock().unwrap();
        pending.extend_from_slice(bytes);
        if !more_buffered && !pending.is_empty() {
            self.arrivals
                .lock()
                .unwrap()
                .push(std::mem::take(&mut pending));
        }
    }
}

impl Fake {
    pub(super) async fn start(
        greeting: Act,
        script: impl Fn(&str) -> Act + Send + Sync + 'static,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let log = Log::default();
        let (received, arrivals) = (log.received.clone(), log.arrivals.clone());
        let (script, greeting) = (Arc::new(script), Arc::new(greeting));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, script, greeting) = (log.clone(), script.clone(), greeting.clone());
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    if !act(&mut stream, &greeting).await {
                        return;
                    }
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        if stream.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        log.record(&line, !stream.buffer().is_empty());
                        let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
                        if let Some(size) = bdat_size(&cmd) {
                            let mut chunk = vec![0u8; size];
                            if stream.read_exact(&mut chunk).await.is_err() {
                                return;
                            }
                            log.record(&chunk, !stream.buffer().is_empty());
                            if !act(&mut stream, &script("<DOT>")).await {
                                return;
                            }
                            continue;
                        }
                        let answer = script(&cmd);
                        let data = matches!(&answer, Act::Reply(s) if s.starts_with("354"));
                        if !act(&mut stream, &answer).await {
                            return;
                        }
                        if data {
                            loop {
                                line.clear();
                                if stream.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                log.record(&line, !stream.buffer().is_empty());
                                if line == b".\r\n" {
                                    break;
                                }
                            }
                            if !act(&mut stream, &script("<DOT>")).await {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Fake {
            address,
            received,
            arrivals,
        }
    }

    pub(super) fn received(&self) -> String {
        String::from_utf8(self.received.lock().unwrap().clone()).unwrap()
    }

    /// The received bytes grouped as they arrived: commands written together by one write
    /// of Moat's are one entry.
    pub(super) fn arrivals(&self) -> Vec<String> {
        let arrivals = self.arrivals.lock().unwrap();
        arrivals
            .iter()
            .map(|a| String::from_utf8(a.clone()).unwrap())
            .collect()
    }
}

/// The chunk size of a `BDAT <n> LAST` command (the only form Moat sends).
fn bdat_size(cmd: &str) -> Option<usize> {
    let rest = cmd.strip_prefix("BDAT ")?.strip_suffix(" LAST")?;
    rest.parse().ok()
}

/// Performs `a`; false when the connection is to be dropped.
pub(super) async fn act(stream: &mut BufReader<tokio::net::TcpStream>, a: &Act) -> bool {
    match a {
        Act::Reply(s) => stream.get_mut().write_all(s.as_bytes()).await.is_ok(),
        Act::ReplyThenClose(s) => {
            let _ = stream.get_mut().write_all(s.as_bytes()).await;
            false
        }
        Act::Close => false,
        Act::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
    }
}

pub(super) fn relay(address: &str, lmtp: bool, timeout_ms: u64) -> Relay {
    relay_with_extensions(address, lmtp, timeout_ms, true, true)
}

/// A relay whose `backend.pipelining` and `backend.chunking` are as given.
pub(super) fn relay_with_extensions(
    address: &str,
    lmtp: bool,
    timeout_ms: u64,
    pipelining: bool,
    chunking: bool,
) -> Relay {
    let address = address.to_string();
    let t = Duration::from_millis(timeout_ms);
    let cfg = BackendConfig {
        target: if lmtp {
            BackendTarget::Lmtp { address }
        } else {
            BackendTarget::Smtp { address }
        },
        helo: "moat.test".into(),
        timeouts: BackendTimeouts {
            connect: t,
            command: t,
            data: t,
        },
        pool: Default::default(),
        pipelining,
        chunking,
    };
    Relay::new(&cfg, "mx.test")
}

pub(super) async fn smtp(fake: &Fake) -> BackendSession {
    relay(&fake.address, false, 5000).open().await.unwrap()
}

pub(super) fn params(body: Option<BodyType>, smtputf8: bool) -> MailParams {
    MailParams {
        size: Some(123),
        body,
        smtputf8,
    }
}
