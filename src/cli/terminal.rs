//! Text that came from mail, made safe for an operator's terminal.
//!
//! A quarantined message's Subject, envelope and body are chosen by whoever sent it. Printed
//! raw, an ESC or CSI starts an ANSI/OSC sequence (recolour, retitle, rewrite the screen,
//! hyperlinks), a CR or LF forges an extra row of `moat quarantine list`, and a Unicode bidi
//! override (U+202E …) makes `evil.exe` read as `exe.live`. Everything `moat` prints from
//! stored mail goes through [`field`] (one value on one line) or [`message`] (a whole message,
//! its CRLF lines kept as lines); both turn each such character into a visible escape.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that must not reach a terminal as they are: C0 controls (including TAB, CR and
/// LF), DEL and C1 controls (`char::is_control`), the bidi embedding, override, isolate and
/// mark characters, and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `\t`, `\r`, `\n` for the usual three, `\xNN` for other controls below U+0100, `\u{NNNN}`
/// for the rest: the value stays readable and greppable.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        c if u32::from(c) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        }
    }
}

/// One value for one line of output (a tab-separated column, a `name: value` line): every
/// unsafe character escaped, so the value can neither end the line nor add a column.
pub fn field(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole message for reading: each CRLF ends a line (printed as a newline), TAB stays (it
/// folds headers); a bare LF is shown as `\n` and still ends the line, so the structure stays
/// readable and the anomaly visible; a bare CR, which would return to the start of the line
/// and overprint it, is only shown as `\r`. Bytes that are not UTF-8 are shown as `\xNN`
/// (a terminal in a Latin-1 locale would take 0x80–0x9F as C1 controls).
pub fn message(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 16);
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' if chars.peek() == Some(&'\n') => {
                    chars.next();
                    out.push('\n');
                }
                '\n' => out.push_str("\\n\n"),
                '\t' => out.push('\t'),
                c if is_unsafe(c) => push_escaped(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// For tests: no character a terminal would act on (no C0 but `allowed`, no DEL, no C1, no
/// bidi control).
#[cfg(test)]
pub(crate) fn assert_terminal_safe(text: &str, allowed: &[char]) {
    for c in text.chars() {
        assert!(
            !is_unsafe(c) || allowed.contains(&c),
            "unsafe character U+{:04X} in {text:?}",
            u32::from(c)
        );
    }
}

#[cfg(test)]
mod tests;
