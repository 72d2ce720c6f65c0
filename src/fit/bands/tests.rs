use super::*;
use crate::fit::samples::Sample;

/// Every message's tokens are its own: a model that learned a message knows all of them
/// and has an opinion; one that never saw it knows none and stays silent.
fn unique_tokens() -> Corpus {
    let samples = (0..60u64)
        .map(|n| Sample {
            spam: n % 2 == 0,
            path: format!("{n}.eml").into(),
            folder: (n % 2) as usize,
            hash: n * 7919,
            findings: Vec::new(),
            tokens: vec![n * 3 + 1, n * 3 + 2, n * 3 + 3],
            // One token of the sender and path, two of content: both opinions are asked.
            sender: 1,
        })
        .collect();
    Corpus {
        samples,
        folders: vec![("spam".into(), true), ("ham".into(), false)],
        unreadable: 0,
    }
}

#[test]
fn bands_never_come_from_a_model_that_saw_the_message() {
    let corpus = unique_tokens();
    let config = BayesConfig::default();
    for held_out in [None, Some(0), Some(3)] {
        let bands = cross_fitted(&corpus, 5, held_out, &config);
        assert!(
            bands.iter().flatten().all(Option::is_none),
            "{held_out:?}: {bands:?}"
        );
    }
    // The same messages learned in-sample would all have an opinion.
    let mut model = Model::default();
    for s in &corpus.samples {
        model.learn(
            s.hash,
            &s.tokens,
            if s.spam { Class::Spam } else { Class::Ham },
        );
    }
    assert!(
        corpus
            .samples
            .iter()
            .all(|s| model.classify(&s.tokens[..1]).is_some()
                && model.classify(&s.tokens[1..]).is_some())
    );
}
