use super::*;

#[test]
fn durations_with_units() {
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
    assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
    assert_eq!(parse_duration("12").unwrap(), Duration::from_secs(12));
    assert!(parse_duration("5 parsecs").is_err());
    assert!(parse_duration("-1s").is_err());
}

#[test]
fn sizes_with_units() {
    assert_eq!(parse_size("25MiB").unwrap(), 25 * 1024 * 1024);
    assert_eq!(parse_size("64KiB").unwrap(), 65536);
    assert_eq!(parse_size("1000").unwrap(), 1000);
    assert!(parse_size("1 lightyear").is_err());
    assert!(parse_size("99999999999999GiB").is_err());
}
