//! Unit tests of the choice of the session to shed.

use super::*;

fn registry() -> Arc<Registry> {
    Arc::new(Registry::new())
}

/// Pretends `watch` has been waiting in `state` since `ms_ago` milliseconds.
fn backdate(watch: &Watch, ms_ago: u64) {
    let now = watch.registry.now();
    watch
        .entry
        .since
        .store(now.saturating_sub(ms_ago), Ordering::Release);
}

/// A registry whose clock reads `ms` already (its epoch moved back), so entries can be
/// backdated.
fn aged(ms: u64) -> Arc<Registry> {
    let r = Registry {
        epoch: Instant::now() - Duration::from_millis(ms),
        next_id: AtomicU64::new(0),
        entries: Mutex::default(),
    };
    Arc::new(r)
}

#[test]
fn shed_picks_the_idle_session_without_a_transaction_longest() {
    let r = aged(60_000);
    let mut old = r.enter();
    let mut young = r.enter();
    assert!(old.waiting(Waiting::Idle) && young.waiting(Waiting::Idle));
    backdate(&old, 30_000);
    backdate(&young, 1_000);
    assert_eq!(r.shed_one(), Some(Victim::Idle));
    assert!(!old.working(0), "the oldest idle session is the one shed");
    assert!(young.working(0));
}

#[test]
fn shed_never_picks_data_at_a_healthy_rate_or_a_session_being_worked_for() {
    let r = aged(600_000);
    let mut data = r.enter();
    let working = r.enter();
    // 10 MB over 500 s: 20 kB/s, slow but healthy.
    assert!(data.waiting(Waiting::Data) && data.working(10_000_000));
    assert!(data.waiting(Waiting::Data));
    backdate(&data, 500_000);
    backdate(&working, 500_000);
    assert_eq!(r.shed_one(), None);
    assert!(data.working(0) && working.working(0));
}

#[test]
fn shed_takes_dribbled_data_last_slowest_first() {
    let r = aged(600_000);
    let mut slow = r.enter();
    let mut slower = r.enter();
    let mut stalled = r.enter();
    // 5 kB and 1 kB over 20 s: 250 B/s and 50 B/s, under SLOW_DATA_RATE.
    for (w, bytes) in [(&mut slow, 5_000), (&mut slower, 1_000)] {
        assert!(w.waiting(Waiting::Data) && w.working(bytes) && w.waiting(Waiting::Data));
        backdate(w, 20_000);
    }
    assert!(stalled.waiting(Waiting::Transaction));
    backdate(&stalled, 20_000);
    assert_eq!(
        r.shed_one(),
        Some(Victim::StalledTransaction),
        "a stall first"
    );
    assert_eq!(r.shed_one(), Some(Victim::SlowData));
    assert!(!slower.working(0), "the slowest transfer goes first");
    assert_eq!(r.shed_one(), Some(Victim::SlowData));
    assert!(!slow.working(0));
}

#[test]
fn a_young_data_transfer_is_not_judged_by_its_rate() {
    let r = aged(600_000);
    let mut data = r.enter();
    assert!(data.waiting(Waiting::Data));
    backdate(&data, SLOW_DATA_AFTER.as_millis() as u64 - 1_000);
    assert_eq!(r.shed_one(), None, "no bytes yet, but only 9 s in");
}

#[test]
fn shed_takes_a_stalled_transaction_only_when_no_idle_session_is_left() {
    let r = aged(600_000);
    let mut fresh_txn = r.enter();
    let mut stalled = r.enter();
    let mut idle = r.enter();
    assert!(fresh_txn.waiting(Waiting::Transaction));
    assert!(stalled.waiting(Waiting::Transaction));
    assert!(idle.waiting(Waiting::Idle));
    backdate(&stalled, STALLED_TRANSACTION.as_millis() as u64 + 1_000);
    backdate(&idle, 0);
    assert_eq!(
        r.shed_one(),
        Some(Victim::Idle),
        "idle goes first, however young"
    );
    assert_eq!(r.shed_one(), Some(Victim::StalledTransaction));
    assert!(!stalled.working(0));
    assert_eq!(r.shed_one(), None, "a transaction waiting briefly is kept");
    assert!(fresh_txn.working(0));
}

#[test]
fn a_session_that_had_a_transaction_ranks_behind_one_that_never_did() {
    let r = aged(60_000);
    let mut flooder = r.enter();
    let mut sender = r.enter();
    // Both connected at the same time; the sender then gave MAIL and finished its message.
    assert!(sender.waiting(Waiting::Transaction) && sender.working(0));
    assert!(flooder.waiting(Waiting::Idle) && sender.waiting(Waiting::Idle));
    backdate(&flooder, 10);
    assert_eq!(r.shed_one(), Some(Victim::Idle));
    assert!(!flooder.working(0));
    assert!(sender.working(0));
}

#[test]
fn shed_session_learns_it_was_shed_even_if_not_yet_listening() {
    let r = registry();
    let mut w = r.enter();
    assert!(w.waiting(Waiting::Idle));
    assert_eq!(r.shed_one(), Some(Victim::Idle));
    // The signal is kept for the session's next wait.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(1), w.shed())
            .await
            .expect("the shed signal waits for the session");
    });
    assert!(!w.waiting(Waiting::Idle), "a shed session stays shed");
}

#[test]
fn a_closed_session_leaves_the_registry() {
    let r = registry();
    let w = r.enter();
    assert_eq!(r.len(), 1);
    drop(w);
    assert_eq!(r.len(), 0);
}
