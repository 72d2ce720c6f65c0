//! SMTP command lines → `Command`. Input is one line without its CRLF; the line framer
//! (`line.rs`) has already enforced length and line-ending rules.

use super::address::{AddressError, Mailbox, ReversePath, parse_path};
use super::params::{BodyType, MailParams};
use super::reply::Reply;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    Lhlo(String),
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    Rcpt {
        to: Mailbox,
    },
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    /// `GET`, `POST`, `CONNECT` …: someone speaks HTTP to the SMTP port.
    Http,
}

/// Why a line is not a command Moat will run, mapped to its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    Unknown,
    Syntax(&'static str),
    BadSender,
    BadRecipient,
    AddressTooLong,
    UnsupportedParameter(String),
    NotUtf8,
}

impl CommandError {
    pub fn reply(&self) -> Reply {
        match self {
            CommandError::Unknown => Reply::status(500, 5, 1, "Command unrecognized"),
            CommandError::Syntax(what) => Reply::status(501, 5, 4, format!("Syntax: {what}")),
            CommandError::BadSender => Reply::status(501, 1, 7, "Bad sender address syntax"),
            CommandError::BadRecipient => Reply::status(501, 1, 3, "Bad recipient address syntax"),
            CommandError::AddressTooLong => Reply::status(501, 5, 4, "Path too long"),
            CommandError::UnsupportedParameter(p) => {
                Reply::status(555, 5, 4, format!("Unsupported parameter {p}"))
            }
            CommandError::NotUtf8 => Reply::status(500, 5, 2, "Command is not valid UTF-8"),
        }
    }
}

/// Parses one command line (without CRLF). `max_size` is the SIZE limit, for `SIZE=` values.
pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
    let line = std::str::from_utf8(line).map_err(|_| CommandError::NotUtf8)?;
    // NUL is never part of a command; a NUL-dropping peer could read the line differently.
    if line.contains('\0') {
        return Err(CommandError::Syntax("NUL in command"));
    }
    let (verb, args) = match line.find(' ') {
        Some(i) => (&line[..i], line[i + 1..].trim()),
        None => (line, ""),
    };
    let no_args = |cmd: Command| {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(CommandError::Syntax("this command takes no arguments"))
        }
    };
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" => hello(args).map(Command::Ehlo),
        "HELO" => hello(args).map(Command::Helo),
        "LHLO" => hello(args).map(Command::Lhlo),
        "MAIL" => mail(args),
        "RCPT" => rcpt(args),
        "DATA" => no_args(Command::Data),
        "BDAT" => Ok(Command::Bdat),
        "RSET" => no_args(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_args(Command::Quit),
        "VRFY" => Ok(Command::Vrfy),
        "EXPN" => Ok(Command::Expn),
        "HELP" => Ok(Command::Help),
        "STARTTLS" => no_args(Command::StartTls),
        "GET" | "POST" | "HEAD" | "PUT" | "CONNECT" | "OPTIONS" => Ok(Command::Http),
        _ => Err(CommandError::Unknown),
    }
}

fn hello(args: &str) -> Result<String, CommandError> {
    let name = args.split_whitespace().next().unwrap_or("");
    if name.is_empty() {
        return Err(CommandError::Syntax("EHLO/HELO needs a host name"));
    }
    if name.len() > 255 || name.chars().any(|c| c.is_control()) {
        return Err(CommandError::Syntax("invalid host name"));
    }
    Ok(name.to_string())
}

/// `FROM:<path> [params]`; a space after the colon is tolerated (common client habit).
fn split_path<'a>(args: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = args.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = args[keyword.len()..].trim_start();
    if !rest.starts_with('<') {
        return None;
    }
    // The path ends at the first '>' outside a quoted string.
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some((&rest[..=i], rest[i + 1..].trim())),
            _ => {}
        }
    }
    None
}

fn mail(args: &str) -> Result<Command, CommandError> {
    let (path, params) =
        split_path(args, "FROM:").ok_or(CommandError::Syntax("MAIL FROM:<address>"))?;
    let from = match parse_path(path, false) {
        Ok(None) => ReversePath::Null,
        Ok(Some(m)) => ReversePath::Mailbox(m),
        Err(AddressError::TooLong) => return Err(CommandError::AddressTooLong),
        Err(AddressError::Syntax) => return Err(CommandError::BadSender),
    };
    let mut out = MailParams::default();
    for param in params.split_whitespace() {
        let (key, value) = match param.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (param, None),
        };
        match (key.to_ascii_uppercase().as_str(), value) {
            ("SIZE", Some(v)) => {
                let n = v
                    .parse()
                    .map_err(|_| CommandError::Syntax("SIZE=<number>"))?;
                out.size = Some(n);
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => {
                out.body = Some(BodyType::SevenBit)
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => {
                out.body = Some(BodyType::EightBitMime)
            }
            ("SMTPUTF8", None) => out.smtputf8 = true,
            _ => return Err(CommandError::UnsupportedParameter(key.to_string())),
        }
    }
    Ok(Command::Mail { from, params: out })
}

fn rcpt(args: &str) -> Result<Command, CommandError> {
    let (path, params) =
        split_path(args, "TO:").ok_or(CommandError::Syntax("RCPT TO:<address>"))?;
    if let Some(p) = params.split_whitespace().next() {
        let key = p.split('=').next().unwrap_or(p);
        return Err(CommandError::UnsupportedParameter(key.to_string()));
    }
    match parse_path(path, true) {
        Ok(Some(to)) => Ok(Command::Rcpt { to }),
        Ok(None) => Err(CommandError::BadRecipient),
        Err(AddressError::TooLong) => Err(CommandError::AddressTooLong),
        Err(AddressError::Syntax) => Err(CommandError::BadRecipient),
    }
}

#[cfg(test)]
mod tests;
