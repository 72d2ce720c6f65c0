//! The milter wire protocol (version 6, as Postfix and Sendmail speak it), without I/O.
//!
//! Every packet is a 4-byte big-endian length, then that many bytes: a command letter and
//! its data. `Decoder` takes bytes as they arrive and yields whole commands; a length of 0 or
//! above `MAX_PACKET`, a command Moat does not know or data that does not parse is an error
//! and the connection ends (the MTA then applies its `milter_default_action`). Fuzzed by
//! `fuzz/fuzz_targets/milter_packet.rs`.

/// Largest packet accepted. Postfix and Sendmail send body chunks of at most 64 KiB and
/// headers of at most `header_size_limit` (100 KiB by default); macros are short.
pub const MAX_PACKET: usize = 512 * 1024;

/// Actions Moat may take at the end of a message (`SMFIF_*`).
pub const SMFIF_ADDHDRS: u32 = 0x01;
pub const SMFIF_CHGHDRS: u32 = 0x10;
pub const SMFIF_QUARANTINE: u32 = 0x20;
/// Protocol flags (`SMFIP_*`): stages the MTA may skip, and header values sent verbatim.
pub const SMFIP_NOUNKNOWN: u32 = 0x100;
/// No reply to each header: one round trip less per header field.
pub const SMFIP_NR_HDR: u32 = 0x80;
pub const SMFIP_HDR_LEADSPC: u32 = 0x0010_0000;

/// A command from the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `O`: version, actions and protocol steps the MTA offers.
    OptNeg {
        version: u32,
        actions: u32,
        protocol: u32,
    },
    /// `D`: macros for the stage `stage` (a command letter).
    Macros {
        stage: u8,
        pairs: Vec<(String, String)>,
    },
    /// `C`: the client. `address` is `None` for a family Moat does not read (unix, unknown).
    Connect {
        hostname: String,
        address: Option<std::net::IpAddr>,
    },
    /// `H`
    Helo(String),
    /// `M`: sender then ESMTP parameters.
    Mail(Vec<String>),
    /// `R`: recipient then ESMTP parameters.
    Rcpt(Vec<String>),
    /// `T`: the DATA command.
    Data,
    /// `L`: one header field, its value as the MTA holds it.
    Header { name: String, value: Vec<u8> },
    /// `N`: end of headers.
    EndOfHeaders,
    /// `B`: a chunk of the body.
    Body(Vec<u8>),
    /// `E`: end of message (data may carry a last body chunk).
    EndOfMessage(Vec<u8>),
    /// `A`: this message is abandoned; the connection stays.
    Abort,
    /// `U`: a command the MTA did not know.
    Unknown,
    /// `Q`: close.
    Quit,
    /// `K`: close this session; the next one follows on the same connection.
    QuitNewConnection,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("packet length {0} out of bounds (1..={MAX_PACKET})")]
    Length(usize),
    #[error("unknown milter command {0:#04x}")]
    UnknownCommand(u8),
    #[error("malformed {0} packet")]
    Malformed(&'static str),
}

/// Collects bytes and cuts them into commands.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole command, `None` until one is complete. After an error the decoder is
    /// of no further use (the stream is out of step).
    pub fn next_command(&mut self) -> Result<Option<Command>, CodecError> {
        let Some(header) = self.buf.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if len == 0 || len > MAX_PACKET {
            return Err(CodecError::Length(len));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let packet: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
        parse(packet[0], &packet[1..]).map(Some)
    }

    /// Bytes received but not yet a whole command.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// One packet's command letter and data.
pub fn parse(cmd: u8, data: &[u8]) -> Result<Command, CodecError> {
    Ok(match cmd {
        b'O' => {
            if data.len() < 12 {
                return Err(CodecError::Malformed("option negotiation"));
            }
            let word =
                |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            Command::OptNeg {
                version: word(0),
                actions: word(4),
                protocol: word(8),
            }
        }
        b'D' => {
            let (&stage, rest) = data.split_first().ok_or(CodecError::Malformed("macro"))?;
            // A stage without macros comes as the letter alone (Postfix sends those).
            let strings = if rest.is_empty() {
                Vec::new()
            } else {
                strings(rest, "macro")?
            };
            if strings.len() % 2 != 0 {
                return Err(CodecError::Malformed("macro"));
            }
            let pairs = strings
                .chunks(2)
                .map(|p| (text(p[0]), text(p[1])))
                .collect();
            Command::Macros { stage, pairs }
        }
        b'C' => connect(data)?,
        b'H' => Command::Helo(text(one_string(data, "HELO")?)),
        b'M' => Command::Mail(strings(data, "MAIL")?.iter().map(|s| text(s)).collect()),
        b'R' => Command::Rcpt(strings(data, "RCPT")?.iter().map(|s| text(s)).collect()),
        b'T' => Command::Data,
        b'L' => {
            let mut parts = strings(data, "header")?;
            if parts.len() != 2 {
                return Err(CodecError::Malformed("header"));
            }
            let value = parts.pop().unwrap_or_default().to_vec();
            Command::Header {
                name: text(parts[0]),
                value,
            }
        }
        b'N' => Command::EndOfHeaders,
        b'B' => Command::Body(data.to_vec()),
        b'E' => Command::EndOfMessage(data.to_vec()),
        b'A' => Command::Abort,
        b'U' => Command::Unknown,
        b'Q' => Command::Quit,
        b'K' => Command::QuitNewConnection,
        other => return Err(CodecError::UnknownCommand(other)),
    })
}

/// `hostname\0`, family, then for `4`/`6` a port (2 bytes) and `address\0`.
fn connect(data: &[u8]) -> Result<Command, CodecError> {
    let bad = CodecError::Malformed("connect");
    let nul = memchr::memchr(0, data).ok_or(bad.clone())?;
    let hostname = text(&data[..nul]);
    let rest = &data[nul + 1..];
    let (&family, rest) = rest.split_first().ok_or(bad.clone())?;
    let address = match family {
        b'4' | b'6' => {
            let rest = rest.get(2..).ok_or(bad.clone())?;
            let addr = text(one_string(rest, "connect")?);
            // Sendmail writes IPv6 addresses as `IPv6:…`.
            let addr = addr.strip_prefix("IPv6:").unwrap_or(&addr);
            Some(addr.parse().map_err(|_| bad)?)
        }
        _ => None,
    };
    Ok(Command::Connect { hostname, address })
}

/// NUL-terminated strings filling `data` exactly.
fn strings<'a>(data: &'a [u8], what: &'static str) -> Result<Vec<&'a [u8]>, CodecError> {
    if data.last() != Some(&0) {
        return Err(CodecError::Malformed(what));
    }
    Ok(data[..data.len() - 1].split(|&b| b == 0).collect())
}

fn one_string<'a>(data: &'a [u8], what: &'static str) -> Result<&'a [u8], CodecError> {
    match strings(data, what)?.as_slice() {
        [one] => Ok(one),
        _ => Err(CodecError::Malformed(what)),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An answer to the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    OptNeg {
        version: u32,
        actions: u32,
        protocol: u32,
    },
    Continue,
    Accept,
    Reject,
    Tempfail,
    Discard,
    /// `y`: an SMTP reply of Moat's own (`550 5.7.1 text`).
    ReplyCode(String),
    /// `h`
    AddHeader {
        name: String,
        value: String,
    },
    /// `i`: at position `index` (0: first).
    InsertHeader {
        index: u32,
        name: String,
        value: String,
    },
    /// `m`: the `index`-th (from 1) field called `name`; an empty value deletes it.
    ChangeHeader {
        index: u32,
        name: String,
        value: String,
    },
    /// `q`
    Quarantine(String),
}

impl Response {
    /// The packet, length prefix included.
    pub fn encode(&self) -> Vec<u8> {
        let mut data = Vec::new();
        let cmd = match self {
            Response::OptNeg {
                version,
                actions,
                protocol,
            } => {
                for w in [version, actions, protocol] {
                    data.extend_from_slice(&w.to_be_bytes());
                }
                b'O'
            }
            Response::Continue => b'c',
            Response::Accept => b'a',
            Response::Reject => b'r',
            Response::Tempfail => b't',
            Response::Discard => b'd',
            Response::ReplyCode(text) => {
                push_str(&mut data, text);
                b'y'
            }
            Response::AddHeader { name, value } => {
                push_str(&mut data, name);
                push_str(&mut data, value);
                b'h'
            }
            Response::InsertHeader { index, name, value } => {
                data.extend_from_slice(&index.to_be_bytes());
                push_str(&mut data, name);
                push_str(&mut data, value);
                b'i'
            }
            Response::ChangeHeader { index, name, value } => {
                data.extend_from_slice(&index.to_be_bytes());
                push_str(&mut data, name);
                push_str(&mut data, value);
                b'm'
            }
            Response::Quarantine(reason) => {
                push_str(&mut data, reason);
                b'q'
            }
        };
        let mut out = ((data.len() + 1) as u32).to_be_bytes().to_vec();
        out.push(cmd);
        out.extend_from_slice(&data);
        out
    }
}

/// A string with its NUL; a NUL inside (never in what Moat sends) is dropped.
fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().filter(|&b| b != 0));
    out.push(0);
}

/// The fuzz target `milter_packet`: any byte stream, fed in two parts, never panics; every
/// command is cut within `MAX_PACKET`; a decoder stops at its first error; every response
/// Moat could build from the text parsed encodes with a length that matches.
pub fn fuzz(data: &[u8]) {
    let mut d = Decoder::default();
    let split = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    for part in [&data[..split], &data[split..]] {
        d.feed(part);
        loop {
            match d.next_command() {
                Ok(Some(Command::Header { name, .. })) => {
                    let r = Response::ChangeHeader {
                        index: 1,
                        name,
                        value: String::new(),
                    };
                    let bytes = r.encode();
                    let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    assert_eq!(len as usize, bytes.len() - 4);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    assert!(d.pending() < 4 + MAX_PACKET);
}

#[cfg(test)]
mod tests;
