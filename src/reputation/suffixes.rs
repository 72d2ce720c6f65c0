//! Reading the public suffix list RHSBL and URIBL need (`reputation.public_suffix_list`):
//! the file is read when the runtime is built, so a broken one refuses the configuration
//! (and a reload keeps the running list), with its file and line.

use super::psl::{self, SuffixList};
use crate::config::reputation::{ReputationConfig, SuffixSource};
use std::sync::Arc;

/// The list the configuration names; the builtin one when nothing asks for registrable
/// domains (no file is read then). `for_dmarc`: DMARC finds organisational domains with it
/// (`auth.dmarc.org_domain: psl`).
pub fn load(config: &ReputationConfig, for_dmarc: bool) -> Result<Arc<SuffixList>, String> {
    if config.rhsbl.is_empty() && config.uribl.is_empty() && !for_dmarc {
        return Ok(Arc::new(SuffixList::builtin()));
    }
    let path = match &config.public_suffix_list {
        SuffixSource::Builtin => return Ok(Arc::new(SuffixList::builtin())),
        SuffixSource::File(path) => path.clone(),
        SuffixSource::Default if std::path::Path::new(psl::DEBIAN_PATH).exists() => {
            psl::DEBIAN_PATH.into()
        }
        SuffixSource::Default => return Ok(Arc::new(SuffixList::builtin())),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let shown = path.display().to_string();
    SuffixList::parse(&text, &shown)
        .map(Arc::new)
        .map_err(|(line, e)| format!("{shown}:{line}: {e}"))
}

#[cfg(test)]
mod tests;
