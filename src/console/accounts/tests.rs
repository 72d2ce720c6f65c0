use super::*;

#[test]
fn console_admin_password_round_trip() {
    let line = format!("# admins\nroot:{}\n", hash("correct horse"));
    assert!(verify(&line, "root", "correct horse"));
    assert!(!verify(&line, "root", "wrong"));
    assert!(!verify(&line, "other", "correct horse"));
    assert!(line.contains("$argon2id$"));
}

#[test]
fn console_admin_refuses_non_argon2id_hashes() {
    // A plain or weaker hash in the file must never log anyone in.
    assert!(!verify("root:secret\n", "root", "secret"));
    assert!(!verify(
        "root:$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA\n",
        "root",
        "x"
    ));
}
