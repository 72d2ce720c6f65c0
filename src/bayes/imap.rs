//! `moat learn --imap`: a minimal IMAP4rev1 client (RFC 3501) that reads one folder of a
//! mailbox on the backend: LOGIN, SELECT, FETCH n BODY.PEEK[] (so nothing is marked seen),
//! LOGOUT. Every read is bounded. Credentials come from a file or the environment, never the
//! command line (which any local user can read in /proc).
//!
//! Transport: `imaps://` is TLS from the first byte (port 993). `imap://` (port 143) upgrades
//! with STARTTLS whenever the server offers it; without it the password is sent in clear only
//! to a loopback address, never over a network. Certificates are always verified
//! (`imap_tls`): against the system CAs, or `--ca FILE`.

use super::imap_tls::{Conn, Trust};
use super::learn::{self, Tally};
use super::model::{Class, Model};
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MAX_LINE: usize = 64 * 1024;
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

pub struct ImapArgs {
    /// `imap://host[:port]` or `imaps://host[:port]`
    pub url: String,
    pub folder: String,
    pub class: Class,
    /// File with the user on its first line and the password on its second; else the
    /// environment variables MOAT_IMAP_USER and MOAT_IMAP_PASSWORD.
    pub credentials: Option<PathBuf>,
    /// PEM file of the CA(s) that sign the server's certificate; default: the system's.
    pub ca: Option<PathBuf>,
}

/// Learns every message of the folder.
pub fn learn(model: &mut Model, args: &ImapArgs) -> anyhow::Result<(Tally, Class)> {
    let mut s = login(args)?;
    let selected = s
        .command(&format!("SELECT {}", quote(&args.folder)))
        .with_context(|| format!("SELECT {}", args.folder))?;
    let exists = selected
        .iter()
        .find_map(|(l, _)| {
            l.strip_prefix("* ")?
                .strip_suffix(" EXISTS")?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    let mut tally = Tally::default();
    for n in 1..=exists {
        let fetched = s.command(&format!("FETCH {n} BODY.PEEK[]"))?;
        let Some(raw) = fetched.into_iter().find_map(|(_, lit)| lit) else {
            bail!("FETCH {n}: no message in the answer");
        };
        tally.add(learn::learn_one(model, &raw, args.class));
        if n % 500 == 0 {
            eprintln!("learned {n}/{exists} from {}", args.folder);
        }
    }
    let _ = s.command("LOGOUT");
    eprintln!("{}: {exists} messages in {}", args.url, args.folder);
    Ok((tally, args.class))
}

/// A logged-in session on the server of `args` (its folder and class are not used here).
pub(super) fn login(args: &ImapArgs) -> anyhow::Result<Session> {
    let (user, password) = credentials(args)?;
    let mut s = open(&target(&args.url)?, args.ca.as_deref())?;
    s.command(&format!("LOGIN {} {}", quote(&user), quote(&password)))
        .context("LOGIN")?;
    Ok(s)
}

fn credentials(args: &ImapArgs) -> anyhow::Result<(String, String)> {
    if let Some(path) = &args.credentials {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading credentials {}", path.display()))?;
        let mut lines = text.lines();
        match (lines.next(), lines.next()) {
            (Some(u), Some(p)) if !u.is_empty() => return Ok((u.to_string(), p.to_string())),
            _ => bail!(
                "{}: expected the user on line 1 and the password on line 2",
                path.display()
            ),
        }
    }
    match (
        std::env::var("MOAT_IMAP_USER"),
        std::env::var("MOAT_IMAP_PASSWORD"),
    ) {
        (Ok(u), Ok(p)) => Ok((u, p)),
        _ => bail!(
            "no IMAP credentials: pass --credentials FILE or set MOAT_IMAP_USER and MOAT_IMAP_PASSWORD"
        ),
    }
}

/// Where to connect and how: from an `imap://` or `imaps://` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// TLS from the first byte (`imaps://`).
    implicit_tls: bool,
    /// The host as written (a name or an IP address), which the certificate must name.
    host: String,
    /// `host:port` to connect to.
    addr: String,
}

fn target(url: &str) -> anyhow::Result<Target> {
    let (implicit_tls, rest, port) = if let Some(rest) = url.strip_prefix("imaps://") {
        (true, rest, 993)
    } else if let Some(rest) = url.strip_prefix("imap://") {
        (false, rest, 143)
    } else {
        bail!("`{url}`: expected imaps://host[:port] (TLS) or imap://host[:port] (STARTTLS)");
    };
    let hostport = rest.trim_end_matches('/');
    if hostport.contains('@') {
        bail!(
            "`{url}`: credentials do not belong in the URL; use --credentials or the environment"
        );
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && p.parse::<u16>().is_ok() => (h, p.parse()?),
        _ => (hostport, port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("`{url}`: no host");
    }
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok(Target {
        implicit_tls,
        host: host.to_string(),
        addr,
    })
}

/// Connects and reads the greeting; TLS first (imaps), or STARTTLS when offered (imap).
fn open(target: &Target, ca: Option<&Path>) -> anyhow::Result<Session> {
    let tcp = TcpStream::connect(&target.addr)
        .with_context(|| format!("connecting to {}", target.addr))?;
    tcp.set_read_timeout(Some(TIMEOUT))?;
    tcp.set_write_timeout(Some(TIMEOUT))?;
    let loopback = tcp.peer_addr()?.ip().is_loopback();
    let conn = if target.implicit_tls {
        Trust::new(ca)?.connect(tcp, &target.host)?
    } else {
        Conn::Plain(tcp)
    };
    let mut s = Session {
        reader: BufReader::new(conn),
        tag: 0,
    };
    let greeting = s.line()?;
    if !greeting.starts_with("* OK") {
        bail!("{}: unexpected greeting {greeting:?}", target.addr);
    }
    if target.implicit_tls {
        return Ok(s);
    }
    if s.capabilities(&greeting)?.iter().any(|c| c == "STARTTLS") {
        return s.start_tls(&Trust::new(ca)?, &target.host);
    }
    if !loopback {
        bail!(
            "{} does not offer STARTTLS: Moat sends a password in clear only to a loopback address; use imaps:// or enable TLS on the server",
            target.addr
        );
    }
    Ok(s)
}

/// An IMAP quoted string.
pub(super) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(super) struct Session {
    reader: BufReader<Conn>,
    tag: u32,
}

/// An untagged line and the literal that followed it, if any.
pub(super) type Untagged = (String, Option<Vec<u8>>);

impl Session {
    /// The server's capabilities: from the greeting's `[CAPABILITY …]` code, else asked.
    fn capabilities(&mut self, greeting: &str) -> anyhow::Result<Vec<String>> {
        let words = |line: &str| -> Vec<String> {
            line.split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect()
        };
        if let Some(rest) = greeting.split_once("[CAPABILITY ").map(|(_, r)| r) {
            return Ok(words(rest.split(']').next().unwrap_or("")));
        }
        let answers = self.command("CAPABILITY")?;
        Ok(answers
            .iter()
            .find_map(|(l, _)| l.strip_prefix("* CAPABILITY "))
            .map(words)
            .unwrap_or_default())
    }

    /// STARTTLS (RFC 3501 6.2.1), then the handshake on the same connection.
    fn start_tls(mut self, trust: &Trust, host: &str) -> anyhow::Result<Session> {
        self.command("STARTTLS").context("STARTTLS")?;
        // Anything already buffered was sent before TLS by whoever is on the path: it must
        // not be read as if it came over the verified channel.
        if !self.reader.buffer().is_empty() {
            bail!("the IMAP server sent data after accepting STARTTLS; refusing to continue");
        }
        let Conn::Plain(tcp) = self.reader.into_inner() else {
            bail!("STARTTLS on a connection that already uses TLS");
        };
        Ok(Session {
            reader: BufReader::new(trust.connect(tcp, host)?),
            tag: self.tag,
        })
    }

    fn line(&mut self) -> anyhow::Result<String> {
        let mut buf = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            bail!("the IMAP server closed the connection");
        }
        if !buf.ends_with(b"\n") {
            bail!("IMAP line longer than {MAX_LINE} bytes");
        }
        Ok(String::from_utf8_lossy(&buf).trim_end().to_string())
    }

    /// Sends a command; returns the untagged answers if it completed with OK.
    pub(super) fn command(&mut self, cmd: &str) -> anyhow::Result<Vec<Untagged>> {
        self.tag += 1;
        let tag = format!("m{}", self.tag);
        let conn = self.reader.get_mut();
        conn.write_all(format!("{tag} {cmd}\r\n").as_bytes())?;
        conn.flush()?;
        let mut out = Vec::new();
        loop {
            let line = self.line()?;
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                if status.starts_with("OK") {
                    return Ok(out);
                }
                bail!("the IMAP server answered: {status}");
            }
            let literal = match literal_size(&line) {
                Some(size) if size > MAX_MESSAGE => bail!("message of {size} bytes is too large"),
                Some(size) => {
                    let mut data = vec![0; size];
                    self.reader.read_exact(&mut data)?;
                    // The rest of the response after the literal (e.g. `)`).
                    self.line()?;
                    Some(data)
                }
                None => None,
            };
            out.push((line, literal));
        }
    }
}

/// `… {123}` at the end of a line announces a literal of 123 bytes.
fn literal_size(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    line[open + 1..line.len() - 1].parse().ok()
}

#[cfg(test)]
mod tests;
