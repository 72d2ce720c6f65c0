//! mail-auth's result types → Moat's `Res` (RFC 8601 result names).

use super::results::Res;
use mail_auth::arc::ArcError;
use mail_auth::common::crypto::CryptoError;
use mail_auth::dkim::DkimError;
use mail_auth::{DkimResult, DmarcResult, Error, IprevResult};

pub fn dkim_res(r: &DkimResult) -> Res {
    match r {
        DkimResult::Pass => Res::Pass,
        // A body that no longer matches its signature failed verification (RFC 6376 6.1.3,
        // RFC 8601 2.7.1); mail-auth calls it neutral.
        DkimResult::Neutral(Error::Dkim(DkimError::FailedBodyHashMatch))
        | DkimResult::Neutral(Error::Arc(ArcError::FailedBodyHashMatch)) => Res::Fail,
        // RFC 6376 6.1.1 and 6.1.2: an expired signature and a key of another type than
        // `a=` are PERMFAILs, not failed verifications; mail-auth calls them neutral/fail.
        DkimResult::Neutral(Error::Dkim(DkimError::SignatureExpired))
        | DkimResult::Fail(Error::Crypto(CryptoError::IncompatibleAlgorithms)) => Res::PermError,
        DkimResult::Neutral(_) => Res::Neutral,
        DkimResult::Fail(_) => Res::Fail,
        DkimResult::PermError(_) => Res::PermError,
        DkimResult::TempError(_) => Res::TempError,
        DkimResult::None => Res::None,
    }
}

pub fn dkim_reason(r: &DkimResult) -> Option<String> {
    match r {
        DkimResult::Neutral(e)
        | DkimResult::Fail(e)
        | DkimResult::PermError(e)
        | DkimResult::TempError(e) => Some(e.to_string()),
        DkimResult::Pass | DkimResult::None => None,
    }
}

pub fn dmarc_res(r: &DmarcResult) -> Res {
    match r {
        DmarcResult::Pass => Res::Pass,
        DmarcResult::Fail(_) => Res::Fail,
        DmarcResult::TempError(_) => Res::TempError,
        DmarcResult::PermError(_) => Res::PermError,
        DmarcResult::None => Res::None,
    }
}

pub fn iprev_res(r: &IprevResult) -> Res {
    match r {
        IprevResult::Pass => Res::Pass,
        IprevResult::Fail(_) => Res::Fail,
        IprevResult::TempError(_) => Res::TempError,
        IprevResult::PermError(_) => Res::PermError,
        IprevResult::None => Res::None,
    }
}
