//! The one rule for relative paths in a configuration file: they are relative to the file's
//! own directory (for the embedded default, which has none, to the working directory).
//!
//! Every key that names a file or directory goes through [`resolve`] — TLS files, the
//! Maildir root, the quarantine, rule files, list files, the classifier model, the public
//! suffix list — so `moat quarantine list --config /etc/moat/moat.yaml` run from any
//! directory reads the store the server writes, instead of an empty one next to the shell.

use std::path::{Path, PathBuf};

/// The directory relative paths of the configuration from `origin` are resolved against.
pub fn base(origin: &str) -> PathBuf {
    if origin == super::DEFAULT_ORIGIN {
        return PathBuf::from(".");
    }
    match Path::new(origin).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` as written in the configuration from `origin`, resolved by the one rule. An
/// absolute path stays as it is; with no directory to add, the path is kept as written.
pub fn resolve(origin: &str, path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    let base = base(origin);
    if path.is_absolute() || base == Path::new(".") {
        return path.to_path_buf();
    }
    base.join(path)
}

#[cfg(test)]
mod tests;
