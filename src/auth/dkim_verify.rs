//! DKIM around mail-auth: every DKIM-Signature field is checked strictly first
//! (`dkim_strict`); those that fail are taken out of the parsed message, so the library
//! never verifies (and DMARC never counts) them, and become `dkim=permerror` with the
//! reason. The rest are verified by the library; a failure that could hide a key problem
//! is re-examined (`keys`).

use super::convert::{dkim_reason, dkim_res};
use super::dkim_length;
use super::dkim_strict::{self, Kind};
use super::keys;
use super::results::{DkimSignature, Res};
use mail_auth::{AuthenticatedMessage, DkimOutput};

/// One DKIM-Signature field of the message, in message order.
pub enum Planned<'x> {
    /// Failed the strict checks: its result is final.
    Invalid(DkimSignature),
    /// Passed them; the field's value identifies it among the library's outputs.
    Verify(&'x [u8]),
}

/// Checks every DKIM-Signature field and removes the invalid ones from `msg.dkim_headers`.
pub fn screen<'x>(msg: &mut AuthenticatedMessage<'x>) -> Vec<Planned<'x>> {
    let mut plan = Vec::new();
    for (name, value) in &msg.headers {
        if !name.trim_ascii().eq_ignore_ascii_case(b"DKIM-Signature") {
            continue;
        }
        plan.push(match dkim_strict::check(value, Kind::Dkim) {
            Ok(_) => Planned::Verify(value),
            Err(why) => Planned::Invalid(invalid(value, Res::PermError, why)),
        });
    }
    let valid = |value: &[u8]| {
        plan.iter()
            .any(|p| matches!(p, Planned::Verify(v) if std::ptr::eq(*v, value)))
    };
    msg.dkim_headers.retain(|h| valid(h.value));
    plan
}

fn invalid(value: &[u8], result: Res, why: String) -> DkimSignature {
    let (domain, selector) = dkim_strict::label(value);
    DkimSignature {
        result,
        domain,
        selector,
        reason: Some(why),
    }
}

/// The results in message order: the strict checks' verdicts and the library's, with key
/// problems reported as such; and the positions in `outputs` of the library's passes that
/// Moat does not accept (key `h=`, `l=`), which DMARC must not count.
pub async fn collect(
    resolver: &crate::dns::Resolver,
    plan: &[Planned<'_>],
    msg: &AuthenticatedMessage<'_>,
    outputs: &[DkimOutput<'_>],
) -> (Vec<DkimSignature>, Vec<usize>) {
    let mut out = Vec::with_capacity(plan.len());
    let mut demoted = Vec::new();
    let mut rechecked = keys::Rechecks::default();
    for planned in plan {
        let value = match planned {
            Planned::Invalid(sig) => {
                out.push(sig.clone());
                continue;
            }
            Planned::Verify(value) => *value,
        };
        let header = msg
            .dkim_headers
            .iter()
            .find(|h| std::ptr::eq(h.value, value));
        let output = header.and_then(|h| {
            outputs
                .iter()
                .find(|o| o.signature().is_some_and(|s| std::ptr::eq(s, &h.header)))
        });
        let (Some(header), Some(output)) = (header, output) else {
            // The library could not read a field the strict checks accept (it refuses
            // `l=`, say): its parse error is the reason.
            out.push(invalid(value, Res::PermError, parse_error(msg, value)));
            continue;
        };
        let sig = &header.header;
        let mut result = DkimSignature {
            result: dkim_res(output.result()),
            domain: sig.d.clone(),
            selector: sig.s.clone(),
            reason: dkim_reason(output.result()),
        };
        if keys::worth_checking(output.result())
            && let Some((res, why)) = rechecked.problem(resolver, &sig.d, &sig.s).await
        {
            result.result = res;
            result.reason = Some(why);
        }
        if matches!(result.result, Res::Pass | Res::Fail)
            && let Some(key) = rechecked.record(resolver, &sig.d, &sig.s).await
        {
            let why = result.reason.as_deref().unwrap_or("failure");
            if let Some((res, why)) = keys::judge(&key, result.result, &sig.s, why) {
                result.result = res;
                result.reason = Some(why);
            }
        }
        let body = msg
            .raw_message
            .get(msg.body_offset as usize..)
            .unwrap_or(b"");
        if result.result == Res::Pass
            && let Some(why) = dkim_length::unsigned_tail(body, sig.l, sig.cb)
        {
            result.result = Res::Policy;
            result.reason = Some(why);
        }
        if *output.result() == mail_auth::DkimResult::Pass && result.result != Res::Pass {
            demoted.extend(outputs.iter().position(|o| std::ptr::eq(o, output)));
        }
        out.push(result);
    }
    (out, demoted)
}

fn parse_error(msg: &AuthenticatedMessage<'_>, value: &[u8]) -> String {
    msg.errors
        .iter()
        .find(|e| std::ptr::eq(e.value, value))
        .map_or_else(|| "not verified".into(), |e| e.header.to_string())
}

/// Every signature present is a temperror (the checks ran out of time), except those the
/// strict checks already refused.
pub fn timed_out(plan: &[Planned<'_>]) -> Vec<DkimSignature> {
    plan.iter()
        .map(|p| match p {
            Planned::Invalid(sig) => sig.clone(),
            Planned::Verify(value) => invalid(value, Res::TempError, "DNS timeout".into()),
        })
        .collect()
}
