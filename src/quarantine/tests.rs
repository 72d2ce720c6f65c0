    use super::*;
    use crate::config::policy::QuarantineConfig;

    fn store(dir: &Path, max_size: u64) -> Store {
        Store::new(&QuarantineConfig {
            path: dir.to_path_buf(),
            max_age: Duration::from_secs(3600),
            max_size,
        })
    }

    fn meta(id: &str, time: u64) -> Meta {
        Meta {
            id: id.into(),
            time,
            reference: "R".into(),
            client_ip: "192.0.2.1".into(),
            helo: "h".into(),
            mail_from: "a@b.test".into(),
            rcpt_to: vec!["u@example.test".into()],
            score: 12.0,
            tests: "X".into(),
            subject: "s".into(),
        }
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn quarantine_store_show_and_release_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("a-1", now()), b"Subject: s\r\n\r\nbody\r\n")
            .unwrap();
        let (m, body) = s.show("a-1").unwrap();
        assert_eq!(m.rcpt_to, ["u@example.test"]);
        assert_eq!(body, b"Subject: s\r\n\r\nbody\r\n");
        let (_, _, releasing) = s.begin_release("a-1").unwrap();
        // A second release while the first is under way (or after it crashed) is refused.
        assert!(matches!(
            s.begin_release("a-1"),
            Err(QuarantineError::Interrupted(_))
        ));
        s.finish_release(&releasing, true).unwrap();
        assert!(matches!(s.show("a-1"), Err(QuarantineError::NotFound(_))));
        assert!(s.list().unwrap().is_empty());
    }

    #[test]
    fn failed_release_puts_the_message_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("b-1", now()), b"x\r\n").unwrap();
        let (_, _, releasing) = s.begin_release("b-1").unwrap();
        s.finish_release(&releasing, false).unwrap();
        assert_eq!(s.list().unwrap()[0].1, State::Held);
    }

    #[test]
    fn retention_drops_old_then_oldest_over_size() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20);
        s.store(&meta("old", now() - 7200), b"x\r\n").unwrap();
        assert!(s.list().unwrap().is_empty(), "older than max_age: removed");
        let small = store(dir.path(), 700);
        small.store(&meta("n-1", now() - 10), &[b'x'; 300]).unwrap();
        small.store(&meta("n-2", now()), &[b'y'; 300]).unwrap();
        let ids: Vec<String> = small
            .list()
            .unwrap()
            .into_iter()
            .map(|(m, _, _)| m.id)
            .collect();
        assert_eq!(ids, ["n-2"]);
    }

    #[test]
    fn ids_with_path_characters_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            store(dir.path(), 1).show("../x"),
            Err(QuarantineError::NotFound(_))
        ));
    }
}
