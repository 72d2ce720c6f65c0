//! One milter session without I/O: what the MTA told so far (macros, client, envelope,
//! headers, body), the answer to each command, and at the end of the message the edits that
//! carry out Moat's verdict. The driver (`super::conn`) does the asynchronous parts: the
//! connect screen, the recipient deny list and the judgement.

use super::codec::{
    Command, Response, SMFIF_ADDHDRS, SMFIF_CHGHDRS, SMFIF_QUARANTINE, SMFIP_HDR_LEADSPC,
    SMFIP_NOUNKNOWN, SMFIP_NR_HDR,
};
use crate::smtp::address::{Mailbox, ReversePath};
use std::collections::HashMap;
use std::net::IpAddr;

/// What the driver must do with a command.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send these (possibly none: macros and abort get no answer).
    Reply(Vec<Response>),
    /// Screen the client (lists, DNSBL) and answer.
    Connect(Option<IpAddr>),
    /// A new message's sender: answer a refusal the connect screen held back, unless the
    /// MTA says the client authenticated (`{auth_authen}`).
    Mail,
    /// Check the recipient against the deny list; `add_recipient` if it passes.
    Rcpt(Option<Mailbox>),
    /// The message is complete: judge `message()` and answer with `end_of_message`.
    Judge,
    /// The message outgrew `limits.max_message_size`: refuse it (once).
    TooLarge,
    /// The MTA closed the session.
    Close,
}

#[derive(Debug, Default)]
pub struct Session {
    max_size: usize,
    /// Header values arrive with their leading blank (`SMFIP_HDR_LEADSPC` agreed).
    leadspc: bool,
    /// Headers get no reply (`SMFIP_NR_HDR` agreed); an oversized one is refused later.
    no_header_reply: bool,
    /// Macros by name without braces (`client_addr`, `j`, `i`).
    pub macros: HashMap<String, String>,
    pub client_ip: Option<IpAddr>,
    pub helo: String,
    pub from: Option<ReversePath>,
    pub recipients: Vec<Mailbox>,
    /// Header fields in order, values as the MTA sent them.
    pub headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    size: usize,
    too_large: bool,
}

impl Session {
    pub fn new(max_size: usize) -> Session {
        Session {
            max_size,
            ..Session::default()
        }
    }

    pub fn handle(&mut self, command: Command) -> Step {
        let proceed = Step::Reply(vec![Response::Continue]);
        match command {
            Command::OptNeg {
                version,
                actions,
                protocol,
            } => Step::Reply(vec![self.negotiate(version, actions, protocol)]),
            Command::Macros { pairs, .. } => {
                for (name, value) in pairs {
                    let name = name.trim_start_matches('{').trim_end_matches('}');
                    self.macros.insert(name.to_string(), value);
                }
                Step::Reply(Vec::new())
            }
            Command::Connect { address, .. } => {
                self.client_ip = address;
                Step::Connect(address)
            }
            Command::Helo(helo) => {
                self.helo = helo;
                proceed
            }
            Command::Mail(args) => {
                self.reset_message();
                let first = args.first().map(String::as_str).unwrap_or("");
                self.from = Some(
                    crate::doors::mailbox(first).map_or(ReversePath::Null, ReversePath::Mailbox),
                );
                Step::Mail
            }
            Command::Rcpt(args) => Step::Rcpt(args.first().and_then(|a| crate::doors::mailbox(a))),
            Command::Header { name, value } => {
                self.grow(name.len() + value.len() + 3);
                if !self.too_large {
                    self.headers.push((name, value));
                }
                if self.no_header_reply {
                    // Nothing may be sent; the size is refused at the body or the end.
                    return Step::Reply(Vec::new());
                }
                self.after_growth()
            }
            Command::Body(chunk) => {
                self.add_body(&chunk);
                self.after_growth()
            }
            Command::EndOfMessage(chunk) => {
                self.add_body(&chunk);
                if self.too_large {
                    Step::TooLarge
                } else {
                    Step::Judge
                }
            }
            Command::Data | Command::EndOfHeaders | Command::Unknown => proceed,
            Command::Abort => {
                self.reset_message();
                Step::Reply(Vec::new())
            }
            Command::QuitNewConnection => {
                let (max, lead, quiet) = (self.max_size, self.leadspc, self.no_header_reply);
                *self = Session::new(max);
                self.leadspc = lead;
                self.no_header_reply = quiet;
                Step::Reply(Vec::new())
            }
            Command::Quit => Step::Close,
        }
    }

    /// Version 6 at most; the actions Moat uses among those offered; every stage (only
    /// unknown commands skipped), header values verbatim and no reply per header when the
    /// MTA can.
    fn negotiate(&mut self, version: u32, actions: u32, protocol: u32) -> Response {
        self.leadspc = protocol & SMFIP_HDR_LEADSPC != 0;
        self.no_header_reply = protocol & SMFIP_NR_HDR != 0;
        Response::OptNeg {
            version: version.min(6),
            actions: actions & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE),
            protocol: protocol & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NR_HDR),
        }
    }

    pub fn add_recipient(&mut self, rcpt: Mailbox) {
        self.recipients.push(rcpt);
    }

    pub fn leadspc(&self) -> bool {
        self.leadspc
    }

    fn add_body(&mut self, chunk: &[u8]) {
        self.grow(chunk.len());
        if !self.too_large {
            self.body.extend_from_slice(chunk);
        }
    }

    /// Counts bytes; past the limit nothing more is kept (and what was kept is dropped).
    fn grow(&mut self, n: usize) {
        self.size = self.size.saturating_add(n);
        if self.size > self.max_size && !self.too_large {
            self.too_large = true;
            self.headers = Vec::new();
            self.body = Vec::new();
        }
    }

    fn after_growth(&self) -> Step {
        if self.too_large {
            Step::TooLarge
        } else {
            Step::Reply(vec![Response::Continue])
        }
    }

    fn reset_message(&mut self) {
        self.from = None;
        self.recipients.clear();
        self.headers.clear();
        self.body.clear();
        self.size = 0;
        self.too_large = false;
    }

    /// The message as the SMTP server would have received it: header fields (LF in folded
    /// values made CRLF), a blank line, the body.
    pub fn message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size + 64);
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            if !self.leadspc {
                out.push(b' ');
            }
            push_crlf(&mut out, value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Whether the MTA authenticated the client (SMTP AUTH: `{auth_authen}`, sent with MAIL).
    pub fn authenticated(&self) -> bool {
        self.macro_value("auth_authen")
            .is_some_and(|v| !v.is_empty())
    }

    /// A macro's value (`client_addr`, `i`, `auth_authen` …).
    pub fn macro_value(&self, name: &str) -> Option<&str> {
        self.macros.get(name).map(String::as_str)
    }

    /// The message is judged: the next one starts clean.
    pub fn message_done(&mut self) {
        self.reset_message();
    }
}

/// `value` with every bare LF made CRLF.
fn push_crlf(out: &mut Vec<u8>, value: &[u8]) {
    let mut prev = 0u8;
    for &b in value {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
}

#[cfg(test)]
mod tests;
