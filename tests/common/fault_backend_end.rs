//! The fault backend's end of a message, shared by DATA and BDAT: the faults that strike after
//! the message (close, stall, a reply), the LMTP per-recipient replies, and the commit.

use super::{Fault, Message, State, count_bare, current, send};
use std::io::{BufReader, ErrorKind, Read};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The chunk size of `BDAT <n> LAST` (the command upper-cased); other forms are not taken.
pub(super) fn bdat_size(upper: &str) -> Option<usize> {
    let rest = upper
        .strip_prefix("BDAT ")?
        .trim_end()
        .strip_suffix(" LAST")?;
    rest.trim().parse().ok()
}

pub(super) fn read_chunk(r: &mut BufReader<TcpStream>, size: usize) -> std::io::Result<Vec<u8>> {
    let mut chunk = vec![0u8; size];
    r.read_exact(&mut chunk)?;
    Ok(chunk)
}

/// Reads a BDAT chunk, or under [`Fault::CloseMidData`] closes after that many bytes of it
/// (`None`).
pub(super) fn read_chunk_or_close(
    r: &mut BufReader<TcpStream>,
    w: &TcpStream,
    state: &Arc<Mutex<State>>,
    size: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    if let Fault::CloseMidData(n) = current(state) {
        let mut part = vec![0u8; n.min(size)];
        r.read_exact(&mut part)?;
        let _ = w.shutdown(std::net::Shutdown::Both);
        return Ok(None);
    }
    read_chunk(r, size).map(Some)
}

/// Answers the end of a message (`raw` as on the wire, `data` the content) as the fault says;
/// false when the connection was closed.
pub(super) fn end_of_data(
    w: &mut TcpStream,
    r: &mut BufReader<TcpStream>,
    state: &Arc<Mutex<State>>,
    from: String,
    to: Vec<String>,
    raw: Vec<u8>,
    data: Vec<u8>,
) -> std::io::Result<bool> {
    let lmtp = {
        let mut st = state.lock().unwrap();
        st.bare_newlines += count_bare(&raw);
        st.data_sections.push(raw.clone());
        st.lmtp
    };
    match current(state) {
        Fault::CloseAtEndOfData => {
            let _ = w.shutdown(std::net::Shutdown::Both);
            return Ok(false);
        }
        Fault::StallAtEndOfData(d) => {
            stall(r, d)?;
            let _ = w.shutdown(std::net::Shutdown::Both);
            return Ok(false);
        }
        _ => {}
    }
    if lmtp {
        lmtp_replies(w, state, &from, &to, &raw, &data)?;
        return Ok(true);
    }
    if let Fault::EndOfData(reply) = current(state) {
        send(w, &reply)?;
        return Ok(true);
    }
    // Commit first (so the record exists by the time Moat can read the 250), undo if the 250
    // cannot be written.
    let idx = {
        let mut st = state.lock().unwrap();
        st.messages.push(Message {
            mail_from: from,
            rcpts: to,
            data,
            raw,
        });
        st.changed.notify_all();
        st.messages.len() - 1
    };
    if send(w, "250 2.0.0 queued as FAULTBACKEND").is_err() {
        let mut st = state.lock().unwrap();
        if idx < st.messages.len() {
            st.messages.remove(idx);
        }
        return Ok(false);
    }
    Ok(true)
}

/// One reply per recipient; each recipient answered 2xx is committed as its own message.
fn lmtp_replies(
    w: &mut TcpStream,
    state: &Arc<Mutex<State>>,
    from: &str,
    to: &[String],
    raw: &[u8],
    data: &[u8],
) -> std::io::Result<()> {
    let fault = current(state);
    for rcpt in to {
        let reply = match &fault {
            Fault::EndOfData(r) => r.clone(),
            Fault::LmtpRcptEndOfData(needle, r) if rcpt.contains(needle.as_str()) => r.clone(),
            _ => "250 2.0.0 delivered".to_string(),
        };
        if reply.starts_with('2') {
            let mut st = state.lock().unwrap();
            st.messages.push(Message {
                mail_from: from.to_string(),
                rcpts: vec![rcpt.clone()],
                data: data.to_vec(),
                raw: raw.to_vec(),
            });
            st.changed.notify_all();
        }
        send(w, &reply)?;
    }
    Ok(())
}

/// Never replies; waits for the peer to give up (EOF) or for `d`.
fn stall(r: &mut BufReader<TcpStream>, d: Duration) -> std::io::Result<()> {
    let deadline = Instant::now() + d;
    r.get_ref()
        .set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}
