//! What the SMTP/LMTP client says and how it reads answers, without I/O: the backend's
//! capabilities from its EHLO/LHLO, the MAIL line for them, and LMTP's per-recipient answers
//! combined into one.

use crate::smtp::{BodyType, MailParams, Reply};

/// The EHLO/LHLO keywords that change what Moat sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub size: bool,
    pub chunking: bool,
}

impl Capabilities {
    /// Reads the keywords from the lines after the first (which is the server's name).
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in reply.lines.iter().skip(1) {
            let keyword = line.split_ascii_whitespace().next().unwrap_or("");
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => caps.pipelining = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "SIZE" => caps.size = true,
                "CHUNKING" => caps.chunking = true,
                _ => {}
            }
        }
        caps
    }
}

/// The `MAIL FROM` line for `caps`: parameters the backend did not advertise are left out.
pub fn mail_command(from: &str, params: &MailParams, caps: &Capabilities) -> String {
    let mut line = format!("MAIL FROM:<{from}>");
    if caps.eight_bit_mime {
        match params.body {
            Some(BodyType::EightBitMime) => line.push_str(" BODY=8BITMIME"),
            Some(BodyType::SevenBit) => line.push_str(" BODY=7BIT"),
            None => {}
        }
    }
    if params.smtputf8 && caps.smtputf8 {
        line.push_str(" SMTPUTF8");
    }
    if let (true, Some(size)) = (caps.size, params.size) {
        line.push_str(&format!(" SIZE={size}"));
    }
    line.push_str("\r\n");
    line
}

/// A line break or other control character in an address would let it inject commands into the
/// backend session; the driver's parser should never let one through, this is the last guard.
pub(super) fn unsafe_address(addr: &str) -> bool {
    addr.bytes().any(|b| b < 0x20 || b == 0x7f)
}

pub(super) fn is_2xx(r: &Reply) -> bool {
    (200..300).contains(&r.code)
}

/// Combines LMTP's per-recipient answers into the one answer the SMTP client gets. With one
/// recipient per transaction (see the module documentation of `relay`) there is one answer.
pub fn combine_lmtp(mut replies: Vec<Reply>) -> Reply {
    if replies.len() == 1 {
        return replies.remove(0);
    }
    let first = |f: fn(&Reply) -> bool| replies.iter().position(f);
    let ok = first(is_2xx);
    let i = if replies.iter().all(is_2xx) {
        0
    } else if let Some(ok) = ok {
        tracing::error!(
            replies = replies.len(),
            "LMTP backend answered a multi-recipient transaction with mixed results; \
             answering with the first success (refused recipients' mail is not delivered)"
        );
        ok
    } else {
        first(Reply::is_transient)
            .or(first(Reply::is_permanent))
            .unwrap_or(0)
    };
    replies.swap_remove(i)
}
