//! Regression guards on the size of the futures every transaction creates.
//!
//! A future is as large as the largest state of everything it awaits inline, and it is
//! copied whole each time it is moved: boxed, spawned, or passed down. Unboxed, a Redis
//! round trip made the rate-limit and greylist futures 35 KB each and mail-auth's lookups
//! made the SPF/iprev task 20 KB, copied (and allocated) on every MAIL and RCPT even with
//! Redis and authentication unused. The bounds leave room to grow, not to regress.

use crate::config::Config;
use crate::runtime::Runtime;
use std::mem::size_of_val;
use std::net::IpAddr;

const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn runtime(extra: &str) -> Runtime {
    let yaml = format!(
        "hostname: mx.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: 127.0.0.1:2526\n\
         dns:\n  nameservers: [\"127.0.0.1:53\"]\n{extra}"
    );
    Runtime::new(Config::from_yaml(&yaml, "t.yaml").expect("test config")).expect("runtime")
}

#[tokio::test]
async fn rate_limit_and_greylist_futures_stay_small() {
    let rt = runtime("");
    let limit = crate::checks::ratelimit::check(
        rt.limiter(),
        CLIENT,
        crate::checks::ratelimit::Kind::Messages,
    );
    assert!(size_of_val(&limit) <= 4096, "{}", size_of_val(&limit));
    let to = crate::smtp::address::parse_path("<u@example.test>", false)
        .expect("path")
        .expect("mailbox");
    let mut auth = None;
    let gate = crate::checks::greylist::check(rt.greylist(), CLIENT, None, &to, &[], &mut auth);
    assert!(size_of_val(&gate) <= 4096, "{}", size_of_val(&gate));
    let hit = rt.state.hit("k", std::time::Duration::from_secs(60));
    assert!(size_of_val(&hit) <= 2048, "{}", size_of_val(&hit));
}

#[tokio::test]
async fn authentication_envelope_task_stays_small() {
    let rt = runtime("auth:\n  enabled: true\n");
    let auth = rt.auth.as_ref().expect("auth is on");
    let envelope = auth.envelope(CLIENT, "client.test".into(), "a@client.test".into());
    assert!(size_of_val(&envelope) <= 4096, "{}", size_of_val(&envelope));
}
