use super::*;

#[test]
fn console_day_filter_parses_utc_dates() {
    assert_eq!(day("1970-01-01", false), Some(0));
    assert_eq!(day("2026-12-04", false), Some(1_796_342_400));
    assert_eq!(day("2026-12-04", true), Some(1_796_342_400 + 86_399));
    assert_eq!(day("2026-13-01", false), None);
    assert_eq!(day("x", false), None);
}
