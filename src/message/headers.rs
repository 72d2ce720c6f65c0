//! Header fields Moat writes: the `Received:` trace header for its own hop (RFC 5321 4.4).

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// TLS parameters of a session, for logs and the Received header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// e.g. `TLSv1_3`
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`
    pub cipher: String,
}

/// What the Received header says about one message's hop through Moat.
pub struct ReceivedInfo<'a> {
    pub helo: &'a str,
    pub client_ip: IpAddr,
    pub hostname: &'a str,
    pub extended: bool,
    pub smtputf8: bool,
    pub tls: Option<&'a TlsInfo>,
    pub id: &'a str,
    /// Named only when there is exactly one, so a header never lists a whole Bcc list.
    pub single_recipient: Option<&'a str>,
    pub time: SystemTime,
}

/// `Received:` with folded continuation lines, CRLF-terminated.
pub fn received(info: &ReceivedInfo) -> String {
    // RFC 3848 / RFC 6531 protocol names: ESMTP, ESMTPS, UTF8SMTP, UTF8SMTPS.
    let protocol = match (info.smtputf8, info.extended, info.tls.is_some()) {
        (true, _, true) => "UTF8SMTPS",
        (true, _, false) => "UTF8SMTP",
        (false, true, true) => "ESMTPS",
        (false, true, false) => "ESMTP",
        (false, false, _) => "SMTP",
    };
    let helo = sanitize(info.helo);
    let mut h = format!(
        "Received: from {helo} ([{ip}])\r\n\tby {host} (Moat) with {protocol}",
        ip = info.client_ip,
        host = info.hostname,
    );
    if let Some(tls) = info.tls {
        h.push_str(&format!(
            "\r\n\t(using {} with cipher {})",
            tls.version, tls.cipher
        ));
    }
    h.push_str(&format!("\r\n\tid {}", info.id));
    if let Some(rcpt) = info.single_recipient {
        h.push_str(&format!("\r\n\tfor <{}>", sanitize(rcpt)));
    }
    h.push_str(&format!(";\r\n\t{}\r\n", rfc5322_date(info.time)));
    h
}

/// Keeps client-supplied text from breaking the header: printable ASCII only, no parens.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '(' && c != ')' {
                c
            } else {
                '?'
            }
        })
        .take(255)
        .collect()
}

/// `Thu, 26 Nov 2026 04:40:26 +0000`
pub fn rfc5322_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2026-11-26T04:40:26Z`: ISO 8601 in UTC, for times an operator reads and sorts.
pub fn iso8601_utc(secs_since_epoch: u64) -> String {
    let days = (secs_since_epoch / 86_400) as i64;
    let rem = secs_since_epoch % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
