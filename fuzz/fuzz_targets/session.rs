//! The whole session state machine fed arbitrary client bytes: never panics, and a driver
//! that accepts everything always gets an event it can act on.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moat::config::{Config, DEFAULT_YAML};
use moat::smtp::Reply;
use moat::smtp::session::{Event, Session, SessionConfig};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let c = Config::from_yaml(DEFAULT_YAML, "fuzz").unwrap();
    let mut limits = c.limits.clone();
    limits.max_message_size = 4096;
    let cfg = Arc::new(SessionConfig {
        hostname: c.hostname.clone(),
        domains: c.domains.clone(),
        postmaster_domain: "example.test".into(),
        limits,
        bare_newline: c.bare_newline,
        tls_available: true,
        backend_max_recipients: None,
    });
    let mut s = Session::new(cfg, "FUZZ".into());
    s.greet();
    for piece in data.chunks(97) {
        s.feed(piece);
        loop {
            match s.poll() {
                Event::NeedInput => break,
                Event::Mail { .. } | Event::Rcpt { .. } => s.resolve(Reply::status(250, 0, 0, "OK")),
                Event::Message { body } => {
                    assert!(body.len() <= 4096);
                    s.resolve(Reply::status(250, 0, 0, "OK"))
                }
                Event::Reset => {}
                Event::StartTls => s.tls_established(),
                Event::Close => return,
            }
        }
        let _ = s.take_output();
    }
});
