use super::*;

#[test]
fn state_survives_a_round_trip_with_spaces_in_folder_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.watch");
    assert!(load_state(&path).unwrap().is_empty());
    let mut state = State::new();
    state.insert("Junk".into(), (1_700_000_000, 42));
    state.insert("Not Junk".into(), (7, 3));
    save_state(&path, &state).unwrap();
    assert_eq!(load_state(&path).unwrap(), state);
    std::fs::write(&path, "garbage\n5 9 INBOX\n").unwrap();
    let read = load_state(&path).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read["INBOX"], (5, 9));
}

#[test]
fn uidvalidity_is_read_from_the_select_answer() {
    assert_eq!(
        number_after("* OK [UIDVALIDITY 1700000000] UIDs valid", "[UIDVALIDITY "),
        Some(1_700_000_000)
    );
    assert_eq!(number_after("* 3 EXISTS", "[UIDVALIDITY "), None);
}

#[test]
fn only_moat_marked_spam_is_held_back_from_ham() {
    assert!(marked_by_moat(
        b"X-Spam-Flag: YES\r\nSubject: x\r\n\r\nX-Spam-Flag: NO\r\n"
    ));
    assert!(!marked_by_moat(b"X-Spam-Flag: NO\r\nSubject: x\r\n\r\n"));
    // Only the header counts, not a quoted header in the body.
    assert!(!marked_by_moat(b"Subject: x\n\nX-Spam-Flag: YES\n"));
}
