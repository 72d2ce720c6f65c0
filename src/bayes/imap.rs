//! `moat learn --imap`: a minimal IMAP4rev1 client (RFC 3501) that reads one folder of a
//! mailbox on the backend: LOGIN, SELECT, FETCH n BODY.PEEK[] (so nothing is marked seen),
//! LOGOUT. Plain TCP, meant for loopback or a trusted network. Every read is bounded.
//! Credentials come from a file or the environment, never the command line (which any local
//! user can read in /proc).

use super::learn::{self, Tally};
use super::model::{Class, Model};
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

const MAX_LINE: usize = 64 * 1024;
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

pub struct ImapArgs {
    /// `imap://host:port`
    pub url: String,
    pub folder: String,
    pub class: Class,
    /// File with the user on its first line and the password on its second; else the
    /// environment variables MOAT_IMAP_USER and MOAT_IMAP_PASSWORD.
    pub credentials: Option<PathBuf>,
}

/// Learns every message of the folder.
pub fn learn(model: &mut Model, args: &ImapArgs) -> anyhow::Result<(Tally, Class)> {
    let (user, password) = credentials(args)?;
    let addr = address(&args.url)?;
    let stream = TcpStream::connect(&addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut s = Session {
        reader: BufReader::new(stream.try_clone()?),
        writer: stream,
        tag: 0,
    };
    let greeting = s.line()?;
    if !greeting.starts_with("* OK") {
        bail!("{addr}: unexpected greeting {greeting:?}");
    }
    s.command(&format!("LOGIN {} {}", quote(&user), quote(&password)))
        .context("LOGIN")?;
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

/// `imap://host:port` (port 143 by default) → `host:port`.
fn address(url: &str) -> anyhow::Result<String> {
    let Some(rest) = url.strip_prefix("imap://") else {
        bail!(
            "`{url}`: only imap:// URLs are supported (plain IMAP, for loopback or a trusted network)"
        );
    };
    let host = rest.trim_end_matches('/');
    if host.contains('@') {
        bail!(
            "`{url}`: credentials do not belong in the URL; use --credentials or the environment"
        );
    }
    Ok(
        if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_string()
        } else {
            format!("{host}:143")
        },
    )
}

/// An IMAP quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

/// An untagged line and the literal that followed it, if any.
type Untagged = (String, Option<Vec<u8>>);

impl Session {
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
    fn command(&mut self, cmd: &str) -> anyhow::Result<Vec<Untagged>> {
        self.tag += 1;
        let tag = format!("m{}", self.tag);
        self.writer
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())?;
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
mod tests {
    use super::*;

    #[test]
    fn imap_url_gives_host_and_default_port() {
        assert_eq!(address("imap://127.0.0.1").unwrap(), "127.0.0.1:143");
        assert_eq!(address("imap://127.0.0.1:1143/").unwrap(), "127.0.0.1:1143");
        assert!(address("imap://u:p@127.0.0.1").is_err());
        assert!(address("http://x").is_err());
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
}
