use super::*;

fn model() -> Model {
    let mut m = Model::default();
    m.learn(1, &[10, 11], Class::Spam);
    m.learn(2, &[11, 12], Class::Ham);
    m
}

#[test]
fn model_survives_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bayes.model");
    save(&path, &model()).unwrap();
    assert_eq!(load(&path).unwrap(), Some(model()));
    assert!(!dir.path().join("bayes.model.tmp").exists());
}

#[test]
fn missing_model_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load(&dir.path().join("none")).unwrap(), None);
}

#[test]
fn model_of_older_tokens_is_refused_as_outdated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bayes.model");
    let mut old = encode(&model());
    old[..8].copy_from_slice(b"MOATBAY1");
    std::fs::write(&path, &old).unwrap();
    let err = load(&path).unwrap_err();
    assert!(matches!(err, StoreError::Outdated { .. }), "{err}");
    let said = err.to_string();
    assert!(
        said.contains("older Moat") && said.contains("learn again"),
        "{said}"
    );
    // The Redis path decodes the blob alone: the same reason, not "bad magic".
    assert!(decode(&old).unwrap_err().contains("older Moat"));
}

#[test]
fn truncated_or_flipped_model_is_refused() {
    let bytes = encode(&model());
    for cut in [0, 10, HEADER, bytes.len() - 1] {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut flipped = bytes.clone();
    flipped[HEADER + 3] ^= 0x40;
    assert!(decode(&flipped).unwrap_err().contains("checksum"));
    assert!(decode(b"garbage garbage garbage garbage garbage garbage").is_err());
}

/// `<model>.lock` keeps two learners from saving over each other's additions: while one
/// holds it, another's `try_lock` gets nothing; once dropped, the next one gets it.
#[test]
fn model_lock_excludes_a_second_learner_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bayes.model");
    let first = try_lock(&path).unwrap().expect("free lock");
    assert!(lock_path(&path).is_file());
    assert!(try_lock(&path).unwrap().is_none(), "held by the first");
    drop(first);
    let mut waited = false;
    let second = lock(&path, || waited = true).unwrap();
    assert!(!waited, "free again once the first was dropped");
    assert!(try_lock(&path).unwrap().is_none());
    drop(second);
}
