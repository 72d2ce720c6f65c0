use super::*;

// `advance` is exercised by the integration tests (tests/state/), each its own process:
// here it would move the clock under the library's other unit tests.

#[tokio::test(start_paused = true)]
async fn paused_tokio_time_moves_the_monotonic_clock() {
    let mono = now();
    tokio::time::advance(Duration::from_secs(90)).await;
    assert!(now() - mono >= Duration::from_secs(90));
}
