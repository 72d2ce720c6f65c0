//! The whole session state machine fed arbitrary client bytes: never panics, and a driver
//! that accepts everything always gets an event it can act on.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moat::config::{Config, DEFAULT_YAML};
use moat::smtp::Reply;
use moat::smtp::session::{Event, Session, SessionConfig};
use std::sync::{Arc, OnceLock};

/// Built once: parsing YAML on every input would dominate the run.
fn config() -> Arc<SessionConfig> {
    static CONFIG: OnceLock<Arc<SessionConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let c = Config::from_yaml(DEFAULT_YAML, "fuzz").unwrap();
            let mut limits = c.limits.clone();
            limits.max_message_size = 4096;
            limits.max_bad_commands = 50;
            Arc::new(SessionConfig {
                hostname: c.hostname.clone(),
                domains: c.domains.clone(),
                postmaster_domain: "example.test".into(),
                limits,
                bare_newline: c.bare_newline,
                tls_available: true,
                backend_max_recipients: None,
            })
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let mut s = Session::new(config(), "FUZZ".into());
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
