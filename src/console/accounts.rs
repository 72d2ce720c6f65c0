//! Admin accounts: a file of `name:$argon2id$…` lines (`#` comments), read at each login so
//! an edited file takes effect without a restart. `moat console passwd NAME` makes a line.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::path::Path;

/// argon2id with OWASP's second recommended setting (19 MiB, 2 passes, 1 lane): ~20 ms of
/// CPU per check, which is also what a password guess costs an attacker per try here.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    super::random::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a bounded password")
        .to_string()
}

/// Whether `name`/`password` matches a line of the accounts text. Only argon2id hashes are
/// accepted; a malformed line never matches. An unknown name still costs one hash, so the
/// answer time does not tell which names exist.
pub fn verify(accounts: &str, name: &str, password: &str) -> bool {
    let line = accounts
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| *n == name);
    match line {
        Some((_, phc)) => match PasswordHash::new(phc) {
            Ok(h) if h.algorithm.as_str() == "argon2id" => {
                hasher().verify_password(password.as_bytes(), &h).is_ok()
            }
            _ => false,
        },
        None => {
            let _ = hash(password);
            false
        }
    }
}

/// `verify` against the file; an unreadable file lets nobody in (and is logged).
pub fn verify_file(path: &Path, name: &str, password: &str) -> bool {
    match std::fs::read_to_string(path) {
        Ok(text) => verify(&text, name, password),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "console: cannot read the admins file");
            false
        }
    }
}

#[cfg(test)]
mod tests;
