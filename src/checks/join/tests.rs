use super::*;
use std::time::Duration;

#[tokio::test]
async fn results_come_back_in_input_order() {
    let slow: Boxed<'_, u32> = Box::pin(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        1
    });
    let fast: Boxed<'_, u32> = Box::pin(async { 2 });
    let got = join_catching(vec![slow, fast]).await;
    assert_eq!(got, vec![Ok(1), Ok(2)]);
}

#[tokio::test]
async fn checks_wait_side_by_side_not_one_after_another() {
    // The first future can only finish once the second has run: polled one after the
    // other to completion, they would never finish.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let waits: Boxed<'_, u32> = Box::pin(async { rx.await.unwrap() });
    let sends: Boxed<'_, u32> = Box::pin(async {
        tx.send(5).unwrap();
        6
    });
    let joined = join_catching(vec![waits, sends]);
    let got = tokio::time::timeout(Duration::from_secs(10), joined).await;
    assert_eq!(got.expect("both finished"), vec![Ok(5), Ok(6)]);
}

#[tokio::test]
async fn a_panic_costs_only_its_own_result() {
    let boom: Boxed<'_, u32> = Box::pin(async {
        tokio::task::yield_now().await;
        panic!("boom")
    });
    let fine: Boxed<'_, u32> = Box::pin(async {
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        7
    });
    let got = join_catching(vec![boom, fine]).await;
    assert_eq!(got[0], Err("panicked: boom".to_string()));
    assert_eq!(got[1], Ok(7));
}
