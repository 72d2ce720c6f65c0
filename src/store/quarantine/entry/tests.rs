use super::*;

#[test]
fn quarantine_ids_are_validated() {
    assert!(valid_id("1764814800-12345-4242-0"));
    for bad in [
        "",
        "../x",
        "a/b",
        ".",
        "..",
        "a.msg",
        "a b",
        "é",
        "a\0b",
        &"x".repeat(MAX_ID_LEN + 1),
    ] {
        assert!(!valid_id(bad), "{bad:?} must be refused");
    }
    assert_eq!(id_of_file_name("a-1.msg".as_ref()), Some("a-1"));
    assert_eq!(id_of_file_name("a-1".as_ref()), None);
    assert_eq!(id_of_file_name("..msg".as_ref()), None);
}

#[test]
fn quarantine_entry_gone_before_open_is_not_a_skip() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone-1.msg");
    assert_eq!(open_regular(&missing).err(), Some(Skip::Vanished));
    assert!(!Skip::ALL.contains(&Skip::Vanished), "never counted");
}
