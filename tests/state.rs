//! Shared state (issue 5 acceptance 4, 5, 7): greylisting and rate limits with the memory
//! store and with a real `redis-server` (tests/common/redis.rs), two Moat instances sharing
//! one Redis, and a Redis killed mid-test while mail keeps flowing. Moat is the real binary
//! relaying to the fault backend; clients from a second loopback address (127.0.0.2) show
//! that limits are per client.

mod common;

#[path = "state/support.rs"]
mod support;

#[path = "state/store.rs"]
mod store;

#[path = "state/greylist.rs"]
mod greylist;

#[path = "state/ratelimit.rs"]
mod ratelimit;

#[path = "state/outage.rs"]
mod outage;

#[path = "state/model.rs"]
mod model;

#[path = "state/exempt.rs"]
mod exempt;

#[path = "state/refusals.rs"]
mod refusals;

#[path = "state/tls.rs"]
mod tls;
