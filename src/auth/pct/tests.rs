use super::*;

#[test]
fn pct_tag_is_read_and_clamped() {
    assert_eq!(parse_pct("v=DMARC1; p=reject; pct=20"), Some(20));
    assert_eq!(parse_pct("v=DMARC1; p=reject; PCT = 250"), Some(100));
    assert_eq!(parse_pct("v=DMARC1; p=reject"), None);
    assert_eq!(parse_pct("v=DMARC1; pct=x"), None);
}

#[test]
fn pct_zero_never_and_hundred_always_samples() {
    assert!((0..100).all(|roll| !sampled(0, roll)));
    assert!((0..100).all(|roll| sampled(100, roll)));
    assert_eq!((0..100).filter(|&roll| sampled(25, roll)).count(), 25);
}
