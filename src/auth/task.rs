//! The SPF/iprev lookups started at MAIL FROM, running while the client sends RCPT and DATA.
//!
//! With the answers in the resolver's cache (a steady sender), the lookups finish the first
//! time they are polled: they are polled once at MAIL, and only spawned as a task if they
//! have to wait for the network. A task per transaction cost a spawn and a wake-up across
//! worker threads for work that was already done.

use super::Envelope;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::task::JoinHandle;

/// The envelope's authentication, done or under way. Awaiting it gives the envelope, or
/// `None` if the task was aborted or panicked.
pub struct EnvelopeTask(State);

enum State {
    Done(Option<Box<Envelope>>),
    Running(JoinHandle<Envelope>),
}

impl EnvelopeTask {
    /// Polls `lookups` once here; spawns them only if they are not finished.
    pub fn start(lookups: impl Future<Output = Envelope> + Send + 'static) -> EnvelopeTask {
        let mut lookups = Box::pin(lookups);
        // A no-op waker is enough: if the lookups are pending, the task polls them again at
        // once and registers its own waker.
        match lookups
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(envelope) => EnvelopeTask::done(envelope),
            Poll::Pending => EnvelopeTask(State::Running(tokio::spawn(lookups))),
        }
    }

    /// An envelope already known (put back after a look at it).
    pub fn done(envelope: Envelope) -> EnvelopeTask {
        EnvelopeTask(State::Done(Some(Box::new(envelope))))
    }

    /// Stops lookups still running (the transaction ended).
    pub fn abort(&self) {
        if let State::Running(task) = &self.0 {
            task.abort();
        }
    }
}

impl Future for EnvelopeTask {
    type Output = Option<Envelope>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Envelope>> {
        let result = match &mut self.0 {
            State::Done(envelope) => return Poll::Ready(envelope.take().map(|e| *e)),
            State::Running(task) => match Pin::new(task).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => result.ok(),
            },
        };
        // A finished JoinHandle must not be polled again.
        self.0 = State::Done(None);
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests;
