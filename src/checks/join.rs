//! Running a message's checks concurrently inside the session's own task.
//!
//! A `tokio::spawn` per check (and the wake-ups between worker threads it brings) cost more
//! than the checks themselves on a small message: most checks answer from a cache in a few
//! microseconds. Polling them side by side in one task keeps them concurrent — a DNS lookup
//! of one still overlaps the others — without the hand-offs. A panic while polling a check
//! is caught and costs only that check's result, as a panicking task did before.

use futures_util::FutureExt;
use futures_util::future::join_all;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

/// A check's future, boxed so checks of different types can be polled together.
pub type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Polls every future until all are done; each result in input order, or the panic message
/// of a future that panicked (that future is dropped, the others go on).
pub async fn join_catching<T>(futures: Vec<Boxed<'_, T>>) -> Vec<Result<T, String>> {
    let caught = futures
        .into_iter()
        .map(|future| AssertUnwindSafe(future).catch_unwind());
    join_all(caught)
        .await
        .into_iter()
        .map(|result| result.map_err(|panic| panic_message(panic.as_ref())))
        .collect()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_string()
    }
}

#[cfg(test)]
mod tests {
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
}
