use super::*;

#[test]
fn greylist_retry_window_must_exceed_delay() {
    let mut problems = Vec::new();
    let raw = RawGreylist {
        delay: HumanDuration(Duration::from_secs(60)),
        retry_window: HumanDuration(Duration::from_secs(30)),
        ipv4_prefix: 33,
        ..Default::default()
    };
    build(raw, &mut problems);
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["greylist.retry_window", "greylist.ipv4_prefix"]);
}
