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
