use super::*;

fn raws(text: &str) -> Vec<(Option<usize>, String)> {
    messages(text.as_bytes().to_vec())
        .into_iter()
        .map(|m| (m.index, String::from_utf8(m.raw).unwrap()))
        .collect()
}

#[test]
fn mbox_splits_at_from_lines_and_unquotes_mboxrd() {
    let mbox = "From a@x.test Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From here\n>>From there\n\n\
                    From b@x.test Mon Jan  1 00:00:01 2024\nSubject: two\n\n> quoted\n";
    let got = raws(mbox);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        (
            Some(1),
            "Subject: one\n\nbody\nFrom here\n>From there\n".into()
        )
    );
    assert_eq!(got[1], (Some(2), "Subject: two\n\n> quoted\n".into()));
}

#[test]
fn file_without_from_line_is_one_message_byte_for_byte() {
    let text = "Subject: s\r\n\r\nFrom the start\r\n>From x\r\n";
    assert_eq!(raws(text), vec![(None, text.to_string())]);
}

#[test]
fn mbox_with_crlf_drops_only_the_separator_line() {
    let got = raws("From a\r\nSubject: a\r\n\r\nx\r\n\r\nFrom b\r\nSubject: b\r\n\r\ny\r\n");
    assert_eq!(got[0].1, "Subject: a\r\n\r\nx\r\n");
    assert_eq!(got[1].1, "Subject: b\r\n\r\ny\r\n");
}

#[test]
fn maildir_is_cur_and_new_not_dovecot_index_files() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    for f in [
        "dovecot.index",
        "dovecot.index.log",
        "dovecot-uidlist",
        "maildirfolder",
    ] {
        std::fs::write(md.join(f), "x").unwrap();
    }
    std::fs::write(md.join("cur/1.host:2,S"), "Subject: a\n\n").unwrap();
    std::fs::write(md.join("new/2.host"), "Subject: b\n\n").unwrap();
    std::fs::write(md.join("tmp/3.host"), "partial").unwrap();
    let files = message_files(std::slice::from_ref(&md)).unwrap();
    assert_eq!(
        files,
        vec![md.join("cur/1.host:2,S"), md.join("new/2.host")]
    );
}
