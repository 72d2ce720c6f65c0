use super::*;
use regex::Regex;

#[test]
fn pattern_without_word_boundary_is_kept_verbatim() {
    assert_eq!(set_pattern(r"(?i)free\s+gift"), r"(?i)free\s+gift");
}

#[test]
fn erased_pattern_matches_wherever_the_original_does() {
    let original = r"(?i)\b(cash|money)\b|\Bx\b";
    let set = Regex::new(&set_pattern(original)).unwrap();
    let original = Regex::new(original).unwrap();
    for text in [
        "cash now",
        "Geld – money!",
        "cashier",
        "café money é",
        "taxi",
        "x",
    ] {
        if original.is_match(text) {
            assert!(set.is_match(text), "{text}");
        }
    }
    assert!(
        set.is_match("cashier"),
        "a candidate the rule's own regex then rejects"
    );
    assert!(!original.is_match("cashier"));
}

#[test]
fn patterns_matching_two_bytes_or_fewer_are_dense() {
    for p in [r"\w", r"[!?]", r"\d+", r"(?i)ab|x{3}"] {
        assert!(is_dense(p), "{p}");
    }
    for p in [r"\bviagra\b", r"(?i)free\s+gift", r"\$\d{3}"] {
        assert!(!is_dense(p), "{p}");
    }
}

#[test]
fn unicode_word_boundaries_are_erased() {
    let p = set_pattern(r"\bviagra\b");
    assert!(!p.contains(r"\b"), "{p}");
    assert!(Regex::new(&p).unwrap().is_match("café viagra"));
}

#[test]
fn ascii_word_boundaries_stay() {
    let p = r"(?-u:\b)abc(?-u:\b)";
    assert_eq!(set_pattern(p), p);
}
