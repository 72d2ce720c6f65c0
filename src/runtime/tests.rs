use super::*;
use std::time::Duration;

#[tokio::test]
async fn memory_state_survives_a_reload_with_the_same_state_section() {
    let old = Runtime::new(Config::embedded_default()).unwrap();
    old.state
        .set("grey:x", b"p", Duration::from_secs(60))
        .await
        .unwrap();
    let mut same = Runtime::new(Config::embedded_default()).unwrap();
    same.carry_state_over(&old);
    assert_eq!(same.state.get("grey:x").await, Ok(Some(b"p".to_vec())));

    let mut config = Config::embedded_default();
    config.state.key_prefix = "other:".into();
    let mut changed = Runtime::new(config).unwrap();
    changed.carry_state_over(&old);
    assert_eq!(changed.state.get("grey:x").await, Ok(None));
}
