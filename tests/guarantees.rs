//! Tests for Moat's guarantees (docs: /work/shared/DESIGN.md "Guarantees", docs/replies.md):
//! zero loss under backend faults, no smuggling, STARTTLS injection, bounded input, no open
//! relay, and the protocol basics. Each test starts its own `moat serve` and fault backend,
//! so they run in parallel.

mod common;

#[path = "guarantees/support.rs"]
mod support;

#[path = "guarantees/zero_loss.rs"]
mod zero_loss;

#[path = "guarantees/smuggling.rs"]
mod smuggling;

#[path = "guarantees/starttls.rs"]
mod starttls;

#[path = "guarantees/limits.rs"]
mod limits;

#[path = "guarantees/relay.rs"]
mod relay;

#[path = "guarantees/protocol.rs"]
mod protocol;

#[path = "guarantees/harness.rs"]
mod harness;

#[path = "guarantees/reload.rs"]
mod reload;

#[path = "guarantees/rules.rs"]
mod rules;

#[path = "guarantees/scores.rs"]
mod scores;

#[path = "guarantees/soak.rs"]
mod soak;

#[path = "guarantees/tls_policy.rs"]
mod tls_policy;

#[path = "guarantees/pathological.rs"]
mod pathological;

#[path = "guarantees/flood.rs"]
mod flood;

#[path = "guarantees/pool.rs"]
mod pool;

#[path = "guarantees/pipelining.rs"]
mod pipelining;

#[path = "guarantees/memory.rs"]
mod memory;
#[path = "guarantees/spam_headers.rs"]
mod spam_headers;
