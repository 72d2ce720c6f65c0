use super::*;
use model::Class;

/// A model where tokens 1–3 are learned only in spam and 4–6 only in ham.
fn classifier() -> Classifier {
    let mut model = Model::default();
    for i in 0..20u64 {
        model.learn(i, &[1, 2, 3], Class::Spam);
        model.learn(100 + i, &[4, 5, 6], Class::Ham);
    }
    Classifier {
        model,
        config: BayesConfig::default(),
    }
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.id.as_str()).collect()
}

/// Spam posted through a trusted path: the two parts disagree, and each opinion says so on
/// its own instead of one unsure opinion over both.
#[test]
fn sender_and_content_each_give_their_own_opinion() {
    let c = classifier();
    // Sender tokens 4–6 (ham-like path), content tokens 1–3 (spam-like words).
    let f = c.findings_for(&[4, 5, 6, 1, 2, 3], 3);
    assert_eq!(ids(&f), ["BAYES_999", "BAYES_SENDER_00"]);
    assert!(
        f[1].reason.contains("of the sender and path"),
        "{}",
        f[1].reason
    );
    // The same tokens in one part would have cancelled out.
    let one = c.model.classify(&[4, 5, 6, 1, 2, 3]).unwrap();
    assert!((0.2..0.8).contains(&one), "{one}");
}

#[test]
fn a_part_the_model_does_not_know_gives_no_opinion() {
    let c = classifier();
    assert_eq!(ids(&c.findings_for(&[900, 901, 1, 2], 2)), ["BAYES_999"]);
    assert_eq!(ids(&c.findings_for(&[4, 5, 900], 2)), ["BAYES_SENDER_00"]);
    assert!(c.findings_for(&[900, 901], 1).is_empty());
    // A count past the end is the whole list as sender tokens.
    assert_eq!(ids(&c.findings_for(&[1, 2], 5)), ["BAYES_SENDER_999"]);
}
