use super::*;

fn trained() -> Model {
    let mut m = Model::default();
    for i in 0..20u64 {
        m.learn(i, &[1, 2, 3, 100 + i], Class::Spam);
        m.learn(1000 + i, &[4, 5, 6, 200 + i], Class::Ham);
    }
    m
}

#[test]
fn spam_tokens_score_high_and_ham_tokens_low() {
    let m = trained();
    assert!(m.classify(&[1, 2, 3]).unwrap() > 0.99);
    assert!(m.classify(&[4, 5, 6]).unwrap() < 0.01);
    let mixed = m.classify(&[1, 2, 4, 5]).unwrap();
    assert!((0.2..0.8).contains(&mixed), "{mixed}");
}

#[test]
fn unknown_tokens_give_no_opinion() {
    assert_eq!(trained().classify(&[999, 998]), None);
}

#[test]
fn learning_the_same_message_twice_does_not_double_count() {
    let mut m = trained();
    let before = m.clone();
    assert_eq!(
        m.learn(0, &[1, 2, 3, 100], Class::Spam),
        Learned::AlreadyKnown
    );
    assert_eq!(m, before);
}

#[test]
fn relearning_as_the_other_class_moves_the_message() {
    let mut m = trained();
    assert_eq!(m.learn(0, &[1, 2, 3, 100], Class::Ham), Learned::Relearned);
    assert_eq!((m.nspam, m.nham), (19, 21));
    assert_eq!(m.tokens[&1], (19, 1));
    assert_eq!(m.tokens[&100], (0, 1));
}

#[test]
fn chi2q_matches_known_values() {
    assert!((chi2q(0.0, 4) - 1.0).abs() < 1e-12);
    // P(chi2 with 2 dof >= 2) = e^-1
    assert!((chi2q(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
}
