use super::*;

/// A request in flight holds its seat: draining waits for it, and gives up at the bound.
#[tokio::test(start_paused = true)]
async fn drained_waits_for_seats_in_flight_and_gives_up_at_the_bound() {
    let seats = Arc::new(Semaphore::new(2));
    let doors = Doors {
        seats: vec![("scan_api", seats.clone(), 2)],
        ..Doors::default()
    };
    let held = seats.clone().acquire_owned().await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(held);
    });
    let start = tokio::time::Instant::now();
    doors.drained(Duration::from_secs(10)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    release.await.unwrap();

    let _stuck = seats.clone().acquire_owned().await.unwrap();
    let start = tokio::time::Instant::now();
    doors.drained(Duration::from_secs(10)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}
