use super::*;

const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

fn gate(total: usize, per_peer: usize) -> Arc<Gate> {
    Gate::new(Limits { total, per_peer })
}

fn was_evicted(t: &mut Ticket) -> bool {
    matches!(
        t.evicted.try_recv(),
        Err(oneshot::error::TryRecvError::Closed)
    )
}

#[test]
fn admin_idle_peer_at_its_cap_loses_its_oldest_pending_connection() {
    let g = gate(64, 3);
    let mut held: Vec<Ticket> = (0..3).map(|_| g.admit(A).unwrap().0).collect();
    let (mut newest, how) = g.admit(A).unwrap();
    assert_eq!(how, Admission::Evicted(A));
    assert!(was_evicted(&mut held[0]), "the oldest pending one goes");
    assert!(!was_evicted(&mut held[1]) && !was_evicted(&mut newest));
    assert!(!held[0].serving(), "an evicted connection is not served");
    assert_eq!(g.open(), 3);
    // Another peer is not affected by A's cap.
    assert_eq!(g.admit(B).unwrap().1, Admission::Free);
}

#[test]
fn admin_connections_being_served_are_never_evicted() {
    let g = gate(64, 2);
    let mut first = g.admit(A).unwrap().0;
    assert!(first.serving());
    let mut second = g.admit(A).unwrap().0;
    let mut third = g.admit(A).unwrap().0;
    assert!(!was_evicted(&mut first), "served: kept");
    assert!(was_evicted(&mut second), "pending: closed for the newcomer");
    assert!(third.serving());
    // Both of A's slots are served now: the next one from A is refused, B still enters.
    assert_eq!(g.admit(A).err(), Some(Full));
    assert!(g.admit(B).is_ok());
    drop(first);
    assert!(g.admit(A).is_ok(), "a finished request frees its slot");
}

#[test]
fn admin_total_cap_evicts_from_the_peer_holding_the_most() {
    let g = gate(4, 3);
    let mut a: Vec<Ticket> = (0..3).map(|_| g.admit(A).unwrap().0).collect();
    let mut b = g.admit(B).unwrap().0;
    let c = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));
    let (_c, how) = g.admit(c).unwrap();
    assert_eq!(how, Admission::Evicted(A));
    assert!(was_evicted(&mut a[0]), "A holds the most: its oldest goes");
    assert!(!was_evicted(&mut b));
    assert_eq!(g.open(), 4);
}

#[test]
fn admin_gate_refuses_only_when_every_slot_is_being_served() {
    let g = gate(2, 2);
    let mut x = g.admit(A).unwrap().0;
    let mut y = g.admit(B).unwrap().0;
    assert!(x.serving() && y.serving());
    assert_eq!(g.admit(A).err(), Some(Full));
    drop(x);
    assert!(g.admit(A).is_ok(), "a finished request frees its slot");
}

#[test]
fn admin_ipv4_mapped_peer_is_the_same_peer() {
    let g = gate(64, 1);
    let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    let mut first = g.admit(A).unwrap().0;
    let _second = g.admit(mapped).unwrap().0;
    assert!(was_evicted(&mut first));
}
