use super::*;

#[test]
fn pool_rejects_zero_age_and_zero_transactions() {
    let mut problems = Vec::new();
    let raw = RawPool {
        max_idle: 0,
        max_idle_age: HumanDuration(Duration::ZERO),
        max_transactions: 0,
    };
    build(raw, &mut problems);
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["backend.pool.max_idle_age", "backend.pool.max_transactions"]
    );
}

#[test]
fn pool_defaults_are_on_and_bounded() {
    let c = PoolConfig::default();
    assert_eq!(c.max_idle, 64);
    assert_eq!(c.max_idle_age, Duration::from_secs(10));
    assert_eq!(c.max_transactions, 100);
}
