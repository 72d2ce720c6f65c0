//! Unit tests of the connection table: limits per address and per network, and shedding.

use super::*;
use crate::config::Config;

fn limits(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Config::embedded_default().limits;
    edit(&mut l);
    l
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[tokio::test]
async fn per_network_limit_counts_a_whole_slash_24_and_slash_64() {
    let l = limits(|l| {
        l.max_connections_per_ip = 2;
        l.max_connections_per_network = 3;
    });
    let table = Table::new(100);
    let mut seats = Vec::new();
    for a in ["192.0.2.1", "192.0.2.1", "192.0.2.77"] {
        seats.push(table.admit(ip(a), &l).await.unwrap());
    }
    assert_eq!(
        table.admit(ip("192.0.2.200"), &l).await.err(),
        Some(Refusal::PerNetwork),
        "a fourth address of the same /24"
    );
    assert!(
        table.admit(ip("192.0.3.1"), &l).await.is_ok(),
        "the next /24"
    );
    for a in ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3"] {
        seats.push(table.admit(ip(a), &l).await.unwrap());
    }
    assert_eq!(
        table.admit(ip("2001:db8:0:1:abcd::9"), &l).await.err(),
        Some(Refusal::PerNetwork),
        "a fourth address of the same /64"
    );
    // A closed connection gives its network slot back.
    seats.remove(0);
    assert!(table.admit(ip("192.0.2.9"), &l).await.is_ok());
}

#[tokio::test]
async fn ipv4_mapped_clients_count_as_their_ipv4_address_and_network() {
    let l = limits(|l| {
        l.max_connections_per_ip = 1;
        l.max_connections_per_network = 2;
    });
    let table = Table::new(100);
    let _a = table.admit(ip("::ffff:192.0.2.1"), &l).await.unwrap();
    assert_eq!(
        table.admit(ip("192.0.2.1"), &l).await.err(),
        Some(Refusal::PerIp)
    );
    let _b = table.admit(ip("::ffff:192.0.2.2"), &l).await.unwrap();
    assert_eq!(
        table.admit(ip("::ffff:192.0.2.3"), &l).await.err(),
        Some(Refusal::PerNetwork),
        "a /24, not the /64 that holds all of IPv4"
    );
    assert!(table.admit(ip("::ffff:198.51.100.1"), &l).await.is_ok());
}

#[tokio::test]
async fn per_ip_limit_still_applies_within_a_network() {
    let l = limits(|l| l.max_connections_per_ip = 2);
    let table = Table::new(100);
    let _a = table.admit(ip("198.51.100.1"), &l).await.unwrap();
    let _b = table.admit(ip("198.51.100.1"), &l).await.unwrap();
    assert_eq!(
        table.admit(ip("198.51.100.1"), &l).await.err(),
        Some(Refusal::PerIp)
    );
}

/// Fills the table from distinct /24s, every session idle: the shape of a spread flood.
async fn fill_with_idlers(table: &Table, l: &Limits, n: usize) -> Vec<(Seat, shed::Watch)> {
    let mut seats = Vec::new();
    for i in 0..n {
        let a = IpAddr::from([10, (i / 250) as u8, (i % 250) as u8, 1]);
        let mut seat = table.admit(a, l).await.expect("room");
        let mut watch = seat.take_watch().unwrap();
        assert!(watch.waiting(shed::Waiting::Idle));
        seats.push((seat, watch));
    }
    seats
}

#[tokio::test]
async fn full_table_of_idlers_sheds_the_oldest_for_a_new_client() {
    // Shedding only once full: the table fills without any shed first.
    let l = limits(|l| l.shed_at_percent = 100);
    let table = Table::new(l.max_connections);
    let mut flood = fill_with_idlers(&table, &l, l.max_connections).await;
    assert_eq!(table.open(), l.max_connections);
    // A new client: the oldest idler is shed; once it closes, the client gets its seat.
    let (first_seat, first_watch) = flood.remove(0);
    let closer = tokio::spawn(async move {
        first_watch.shed().await;
        drop(first_watch);
        drop(first_seat);
    });
    let seat = tokio::time::timeout(Duration::from_secs(1), table.admit(ip("192.0.2.1"), &l))
        .await
        .expect("admitted without waiting for a timeout");
    assert!(seat.is_ok(), "the new client got a seat");
    closer.await.unwrap();
    assert!(flood.iter_mut().all(|(_, w)| w.working(0)), "only one shed");
}

#[tokio::test]
async fn nearly_full_table_sheds_one_idler_per_new_connection() {
    let l = limits(|_| {});
    let table = Table::new(l.max_connections);
    let shed_from = shed_from(l.max_connections, l.shed_at_percent).unwrap();
    assert_eq!(shed_from, 900, "the default: shed from 90 % of 1,000");
    let mut flood = fill_with_idlers(&table, &l, shed_from).await;
    assert!(
        flood.iter_mut().all(|(_, w)| w.working(0)),
        "none shed below"
    );
    for (_, w) in flood.iter_mut() {
        assert!(w.waiting(shed::Waiting::Idle));
    }
    let _new = table.admit(ip("192.0.2.1"), &l).await.unwrap();
    let shed: Vec<usize> = flood
        .iter_mut()
        .enumerate()
        .filter(|(_, (_, w))| !w.working(0))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(shed, vec![0], "exactly the oldest idler is shed");
}

#[tokio::test]
async fn full_table_with_nothing_to_shed_refuses_at_once() {
    let l = limits(|l| l.max_connections = 3);
    let table = Table::new(3);
    let mut busy = Vec::new();
    for i in 0..3u8 {
        let mut seat = table.admit(IpAddr::from([10, i, 0, 1]), &l).await.unwrap();
        let mut watch = seat.take_watch().unwrap();
        assert!(watch.waiting(shed::Waiting::Data));
        busy.push((seat, watch));
    }
    let refused =
        tokio::time::timeout(Duration::from_millis(500), table.admit(ip("192.0.2.1"), &l))
            .await
            .expect("refused without waiting");
    assert_eq!(refused.err(), Some(Refusal::Total));
    assert!(busy.iter().all(|(_, w)| w.working(0)), "DATA is never shed");
}

#[tokio::test]
async fn shedding_off_refuses_when_full() {
    let l = limits(|l| l.shed_at_percent = 0);
    let table = Table::new(2);
    let _idlers = fill_with_idlers(&table, &l, 2).await;
    assert_eq!(
        table.admit(ip("192.0.2.1"), &l).await.err(),
        Some(Refusal::Total)
    );
}
