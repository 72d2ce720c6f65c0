use super::*;
use crate::config::Config;
use crate::smtp::session::{Event, SessionConfig};
use std::sync::Arc;

const IDLE: Duration = Duration::from_secs(300);
const LIMIT: Duration = Duration::from_secs(10);

fn session() -> Session {
    let config = Config::embedded_default();
    let memory = crate::budget::MemoryBudget::new(config.limits.max_memory);
    let cfg = SessionConfig::from_config(&config, false, None, memory);
    let mut s = Session::new(Arc::new(cfg), "TEST".into());
    s.greet();
    s
}

/// Feeds bytes and lets the session handle every complete line.
fn feed(s: &mut Session, bytes: &[u8]) {
    s.feed(bytes);
    assert_eq!(s.poll(), Event::NeedInput);
}

#[test]
fn dribbled_command_line_is_cut_at_the_line_deadline() {
    let mut s = session();
    let mut clock = LineClock::default();
    let t0 = Instant::now();
    let w = clock.next_wait(&s, IDLE, LIMIT, t0);
    assert_eq!(w.duration, IDLE, "nothing under way: the idle timeout");
    // One byte every 2 s: each read would restart an idle timer, not the line's.
    for i in 1..=4u64 {
        feed(&mut s, b"N");
        let w = clock.next_wait(&s, IDLE, LIMIT, t0 + Duration::from_secs(2 * i));
        assert_eq!(w.duration, LIMIT - Duration::from_secs(2 * (i - 1)));
        assert!(w.line_deadline);
    }
}

#[test]
fn each_complete_line_restarts_the_line_deadline() {
    let mut s = session();
    let mut clock = LineClock::default();
    let t0 = Instant::now();
    feed(&mut s, b"NO");
    clock.next_wait(&s, IDLE, LIMIT, t0);
    // The line ends and a pipelined one begins in the same read, 8 s later.
    feed(&mut s, b"OP\r\nNO");
    let w = clock.next_wait(&s, IDLE, LIMIT, t0 + Duration::from_secs(8));
    assert_eq!(w.duration, LIMIT, "a new line has its own deadline");
    feed(&mut s, b"OP\r\n");
    let w = clock.next_wait(&s, IDLE, LIMIT, t0 + Duration::from_secs(9));
    assert_eq!((w.duration, w.line_deadline), (IDLE, false));
}

#[test]
fn discarded_over_long_line_keeps_its_line_deadline() {
    let mut s = session();
    let mut clock = LineClock::default();
    let t0 = Instant::now();
    // Longer than max_command_line (2048): its bytes are thrown away as they come,
    // but the line is still under way.
    feed(&mut s, &[b'A'; 3000]);
    clock.next_wait(&s, IDLE, LIMIT, t0);
    feed(&mut s, b"A");
    let w = clock.next_wait(&s, IDLE, LIMIT, t0 + Duration::from_secs(6));
    assert_eq!(w.duration, LIMIT - Duration::from_secs(6));
}
