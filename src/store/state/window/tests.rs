use super::*;

const MIN: Duration = Duration::from_secs(60);

#[test]
fn window_index_and_position() {
    let s = Slot::at(Duration::from_secs(3 * 60 + 15), MIN);
    assert_eq!(s.index, 3);
    assert!((s.elapsed - 0.25).abs() < 1e-9);
    assert_eq!(s.current_key("k"), "k:3");
    assert_eq!(s.previous_key("k"), "k:2");
}

#[test]
fn window_estimate_weighs_the_previous_window() {
    let start = Slot::at(Duration::from_secs(600), MIN);
    assert_eq!(
        start.estimate(1, 10),
        11.0,
        "at a boundary all of it counts"
    );
    let half = Slot::at(Duration::from_secs(630), MIN);
    assert_eq!(half.estimate(2, 10), 7.0);
    let end = Slot::at(Duration::from_millis(659_999), MIN);
    assert!(end.estimate(0, 10) < 0.01);
}

#[test]
fn window_burst_across_a_boundary_is_counted() {
    // Five events at the end of one window and five at the start of the next: with a
    // limit of 5 a plain fixed window would allow all ten.
    let after = Slot::at(Duration::from_millis(660_100), MIN);
    assert!(after.estimate(5, 5) > 9.9);
}
