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
mod tests;
