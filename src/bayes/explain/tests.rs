use super::*;
use crate::bayes::learn::learn_one;
use crate::bayes::model::Class;
use crate::config::bayes::BayesConfig;

fn classifier() -> Classifier {
    let mut model = Model::default();
    for i in 0..20 {
        let spam = format!("Subject: offer {i}\r\n\r\ncheapest pills casino winner n{i}\r\n");
        let ham = format!("Subject: notes {i}\r\n\r\nmeeting agenda minutes n{i}x\r\n");
        learn_one(&mut model, spam.as_bytes(), Class::Spam);
        learn_one(&mut model, ham.as_bytes(), Class::Ham);
    }
    Classifier {
        model,
        config: BayesConfig::default(),
    }
}

#[test]
fn clues_name_the_words_for_spam_and_for_ham() {
    let raw = b"Subject: hello\r\n\r\ncheapest pills before the meeting agenda\r\n";
    let (spam, ham) = clues(&classifier(), raw, 8);
    let words = |l: &[Clue]| l.iter().map(|c| c.token.clone()).collect::<Vec<_>>();
    assert_eq!(words(&spam), ["cheapest", "pills"]);
    assert_eq!(words(&ham), ["agenda", "meeting"]);
    assert_eq!((spam[0].spam, spam[0].ham), (20, 0));
    assert!(spam[0].probability > 0.9 && ham[0].probability < 0.1);
}

#[test]
fn clues_are_capped_and_unknown_words_say_nothing() {
    let raw = b"Subject: x\r\n\r\ncheapest pills casino winner unknownword\r\n";
    let (spam, ham) = clues(&classifier(), raw, 2);
    assert_eq!(spam.len(), 2);
    assert!(ham.is_empty());
    assert!(spam.iter().all(|c| c.token != "unknownword"));
}
