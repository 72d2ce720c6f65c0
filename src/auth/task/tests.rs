use super::*;
use crate::smtp::address::ReversePath;

fn envelope() -> Envelope {
    Envelope::timed_out([192, 0, 2, 1].into(), "c.test", &ReversePath::Null, false)
}

#[tokio::test]
async fn finished_lookups_need_no_task() {
    let task = EnvelopeTask::start(std::future::ready(envelope()));
    assert!(matches!(task.0, State::Done(Some(_))));
    assert!(task.await.is_some());
}

#[tokio::test]
async fn waiting_lookups_run_as_a_task_and_finish() {
    let task = EnvelopeTask::start(async {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        envelope()
    });
    assert!(matches!(task.0, State::Running(_)));
    assert!(task.await.is_some());
}

#[tokio::test]
async fn aborted_lookups_give_nothing() {
    let task = EnvelopeTask::start(async {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        envelope()
    });
    task.abort();
    assert!(task.await.is_none());
}
