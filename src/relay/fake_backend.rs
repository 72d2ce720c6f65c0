//! A tiny scripted SMTP/LMTP backend on 127.0.0.1:0 that records every byte it receives, and
//! helpers for the relay tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::{BackendSession, Relay};
use crate::config::{BackendConfig, BackendTarget, BackendTimeouts};
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
}

impl Fake {
    pub(super) async fn start(
        greeting: Act,
        script: impl Fn(&str) -> Act + Send + Sync + 'static,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (log, script, greeting) = (received.clone(), Arc::new(script), Arc::new(greeting));
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
                        log.lock().unwrap().extend_from_slice(&line);
                        let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
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
                                log.lock().unwrap().extend_from_slice(&line);
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
        Fake { address, received }
    }

    pub(super) fn received(&self) -> String {
        String::from_utf8(self.received.lock().unwrap().clone()).unwrap()
    }
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
