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
mod tests {
    use super::*;
    use crate::config::reputation::Zone;

    #[test]
    fn public_suffix_list_file_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("psl.dat"), "com\n*.bad*\n").unwrap();
        let zone = Zone {
            name: "uribl.test".into(),
            filter: crate::config::reputation::Filter::Any,
            weight: 1.0,
        };
        let config = |file: &str| ReputationConfig {
            uribl: vec![zone.clone()],
            public_suffix_list: SuffixSource::File(dir.path().join(file)),
            ..Default::default()
        };
        let e = load(&config("psl.dat"), false).unwrap_err();
        assert!(
            e.ends_with("psl.dat:2: `*.bad*` is not a public suffix rule"),
            "{e}"
        );
        let e = load(&config("missing.dat"), false).unwrap_err();
        assert!(e.starts_with("cannot read "), "{e}");
        std::fs::write(dir.path().join("psl.dat"), "uk\nco.uk\n").unwrap();
        let list = load(&config("psl.dat"), false).unwrap();
        assert_eq!(list.registrable("a.b.co.uk").unwrap(), "b.co.uk");
        let unused = ReputationConfig {
            public_suffix_list: SuffixSource::File(dir.path().join("missing.dat")),
            ..Default::default()
        };
        assert!(load(&unused, false).is_ok(), "not read without RHSBL/URIBL");
        assert!(
            load(&unused, true).is_err(),
            "read for DMARC's organisational domain"
        );
    }
}
