use super::*;

#[test]
fn memory_budget_refuses_past_the_limit_and_frees_on_drop() {
    let budget = MemoryBudget::new(100);
    let mut a = budget.reservation();
    assert!(a.grow_to(60));
    let mut b = budget.reservation();
    assert!(!b.grow_to(41), "60 + 41 is over 100");
    assert_eq!(b.bytes(), 0, "a failed growth takes nothing");
    assert!(b.grow_to(40));
    assert_eq!(budget.used(), 100);
    assert!(!budget.would_fit(1));
    drop(a);
    assert_eq!(budget.used(), 40);
    b.release();
    assert_eq!(budget.used(), 0);
    drop(b);
    assert_eq!(
        budget.used(),
        0,
        "a released reservation gives nothing back twice"
    );
}

#[test]
fn memory_budget_lower_limit_keeps_what_is_held() {
    let budget = MemoryBudget::new(100);
    let mut a = budget.reservation();
    assert!(a.grow_to(80));
    budget.set_limit(50);
    let mut b = budget.reservation();
    assert!(!b.grow_to(1));
    assert!(a.grow_to(80), "no growth asked: still fine");
    drop(a);
    assert!(b.grow_to(50));
}

#[test]
fn memory_budget_concurrent_reservations_never_exceed_the_limit() {
    let budget = MemoryBudget::new(1000);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let budget = budget.clone();
            std::thread::spawn(move || {
                for _ in 0..10_000 {
                    let mut r = budget.reservation();
                    if r.grow_to(300) {
                        assert!(budget.used() <= 1000);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(budget.used(), 0);
}
