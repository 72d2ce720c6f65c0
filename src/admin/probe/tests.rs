use super::*;

#[test]
fn maildir_probe_needs_a_writable_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(maildir_writable(&dir.path().join("mail")), Health::Up);
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(maildir_writable(&file), Health::Down(_)));
}
