use super::*;
use std::time::Duration;

#[tokio::test]
async fn greylist_first_early_passed_known() {
    let store = Store::new(&Default::default());
    let cfg = GreylistConfig {
        delay: Duration::from_secs(300),
        ..Default::default()
    };
    let k = key(&cfg, "192.0.2.9".parse().unwrap(), "A@x.org", "b@Y.org");
    assert_eq!(k, "grey:192.0.2.0/24|a@x.org|b@y.org");
    let t = 1_000_000;
    assert_eq!(decide(&store, &cfg, &k, t).await, Ok(Decision::First));
    assert_eq!(decide(&store, &cfg, &k, t + 299).await, Ok(Decision::Early));
    assert_eq!(
        decide(&store, &cfg, &k, t + 300).await,
        Ok(Decision::Passed)
    );
    assert_eq!(decide(&store, &cfg, &k, t + 301).await, Ok(Decision::Known));
}

#[tokio::test]
async fn greylist_early_retry_does_not_restart_the_delay() {
    let store = Store::new(&Default::default());
    let cfg = GreylistConfig::default();
    let k = key(&cfg, "2001:db8::1".parse().unwrap(), "", "b@y.org");
    let t = 5_000;
    decide(&store, &cfg, &k, t).await.unwrap();
    decide(&store, &cfg, &k, t + 100).await.unwrap();
    assert_eq!(
        decide(&store, &cfg, &k, t + 300).await,
        Ok(Decision::Passed)
    );
}
