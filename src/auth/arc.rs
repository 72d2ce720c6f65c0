//! ARC chain validation status as RFC 8617 defines it: `none`, `pass` or `fail`, nothing
//! else (5.2, and the `arc` method's results in the Authentication-Results registry).
//!
//! Moat validates the chain's structure itself — every field's tag list, required tags,
//! `i=` and `cv=`, one complete set per instance from 1 up (RFC 8617 5.2 steps 1 to 4) —
//! and only a well-formed chain goes to mail-auth for the signatures. Whatever the library
//! answers, `status` maps it onto the three values, and the reason goes with it, so the
//! header comment and `moat scan --explain` say why a chain failed.

use super::dkim_strict::{self, Checked, Cv, Kind};
use super::results::ArcStatus;
use mail_auth::DkimResult;
use std::collections::BTreeMap;

/// The three fields of one ARC set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Seal,
    Ams,
    Aar,
}

impl Field {
    fn of(name: &[u8]) -> Option<Field> {
        let name = name.trim_ascii();
        if name.eq_ignore_ascii_case(b"ARC-Seal") {
            Some(Field::Seal)
        } else if name.eq_ignore_ascii_case(b"ARC-Message-Signature") {
            Some(Field::Ams)
        } else if name.eq_ignore_ascii_case(b"ARC-Authentication-Results") {
            Some(Field::Aar)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Field::Seal => "ARC-Seal",
            Field::Ams => "ARC-Message-Signature",
            Field::Aar => "ARC-Authentication-Results",
        }
    }
}

/// A chain whose structure is valid, for the signature checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Number of sets (the newest instance).
    pub sets: u32,
    /// `(domain, selector)` of the newest AMS, then of every seal, newest first: whose keys
    /// to look at when a signature does not verify.
    pub keys: Vec<(String, String)>,
}

/// RFC 8617 5.2 steps 1 to 4 over the header fields in message order: `Ok(None)` without
/// ARC fields, the chain when it is well formed, else why it fails.
pub fn structure(headers: &[(&[u8], &[u8])]) -> Result<Option<Chain>, String> {
    let mut sets: BTreeMap<u32, [Option<Checked>; 3]> = BTreeMap::new();
    let mut any = false;
    for (name, value) in headers {
        let Some(field) = Field::of(name) else {
            continue;
        };
        any = true;
        let checked = match field {
            Field::Seal => dkim_strict::check(value, Kind::Seal),
            Field::Ams => dkim_strict::check(value, Kind::Ams),
            Field::Aar => aar_instance(value).map(|i| Checked {
                domain: String::new(),
                selector: String::new(),
                instance: Some(i),
                cv: None,
            }),
        }
        .map_err(|e| format!("{}{}: {e}", field.name(), lenient_instance(value)))?;
        let i = checked.instance.unwrap_or_default();
        let slot = &mut sets.entry(i).or_default()[field as usize];
        if slot.is_some() {
            return Err(format!("two {} fields with i={i}", field.name()));
        }
        *slot = Some(checked);
    }
    if !any {
        return Ok(None);
    }
    let newest = sets.keys().next_back().copied().unwrap_or_default();
    let mut keys = Vec::new();
    for i in (1..=newest).rev() {
        let set = sets.get(&i);
        for field in [Field::Seal, Field::Ams, Field::Aar] {
            if set.is_none_or(|s| s[field as usize].is_none()) {
                return Err(format!("ARC set i={i} has no {}", field.name()));
            }
        }
        let [Some(seal), Some(ams), _] = &sets[&i] else {
            continue;
        };
        match (i, seal.cv) {
            (1, Some(Cv::None)) | (2.., Some(Cv::Pass)) => {}
            (_, Some(Cv::Fail)) => return Err(format!("ARC-Seal i={i} says cv=fail")),
            (1, _) => return Err("ARC-Seal i=1 must say cv=none".into()),
            _ => return Err(format!("ARC-Seal i={i} must say cv=pass")),
        }
        if i == newest {
            keys.push((ams.domain.clone(), ams.selector.clone()));
        }
        keys.push((seal.domain.clone(), seal.selector.clone()));
    }
    Ok(Some(Chain { sets: newest, keys }))
}

/// RFC 8617 4.1.1: an ARC-Authentication-Results value starts `i=N;` (FWS allowed around
/// the `=`), followed by the authserv-id and results.
fn aar_instance(value: &[u8]) -> Result<u32, String> {
    let bad = || "invalid i= instance".to_string();
    let text = std::str::from_utf8(value).map_err(|_| bad())?.trim_start();
    let rest = text.strip_prefix('i').ok_or_else(bad)?.trim_start();
    let rest = rest.strip_prefix('=').ok_or_else(bad)?.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = rest.split_at(digits);
    let rest = rest.trim_start().strip_prefix(';').ok_or_else(bad)?;
    if rest.trim().is_empty() {
        return Err("no authserv-id".into());
    }
    match number.parse::<u32>() {
        Ok(n) if (1..=dkim_strict::MAX_INSTANCE).contains(&n) && digits <= 2 => Ok(n),
        _ => Err(bad()),
    }
}

/// ` i=N` read leniently from an invalid field, for the error message.
fn lenient_instance(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    text.split(';')
        .filter_map(|s| s.split_once('='))
        .find(|(n, _)| n.trim() == "i")
        .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        .map(|i| format!(" i={i}"))
        .unwrap_or_default()
}

/// `d=` of the newest ARC-Seal (highest `i=`, read leniently, so a broken chain still names
/// its sealer in the header).
pub fn newest_sealer(headers: &[(&[u8], &[u8])]) -> Option<String> {
    headers
        .iter()
        .filter(|(name, _)| Field::of(name) == Some(Field::Seal))
        .map(|(_, value)| {
            let i = lenient_instance(value);
            let i: u32 = i.trim_start_matches(" i=").parse().unwrap_or(0);
            (i, dkim_strict::label(value).0)
        })
        .filter(|(_, d)| !d.is_empty())
        .max_by_key(|(i, _)| *i)
        .map(|(_, d)| d)
}

/// The chain's status from mail-auth's answer for a chain whose structure was valid.
/// Anything but a pass is a fail (RFC 8617 5.2): a DNS error too, with its reason.
pub fn status(result: &DkimResult) -> (ArcStatus, Option<String>) {
    match result {
        DkimResult::Pass => (ArcStatus::Pass, None),
        // The structure check found sets; the library none: never a pass.
        DkimResult::None => (ArcStatus::Fail, Some("no ARC set verified".into())),
        DkimResult::Neutral(e) | DkimResult::Fail(e) | DkimResult::PermError(e) => {
            (ArcStatus::Fail, Some(e.to_string()))
        }
        DkimResult::TempError(e) => (ArcStatus::Fail, Some(format!("temporary: {e}"))),
    }
}

#[cfg(test)]
mod tests;
