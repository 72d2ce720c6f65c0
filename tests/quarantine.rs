//! The quarantine and the command line against the real binary: what a remote sender puts in
//! a quarantined message reaches the operator's terminal escaped, and every command exits
//! quietly when the reader of its output goes away (`moat … | head`).

mod common;

// Shared with the guarantee tests; this suite uses only part of it.
#[allow(dead_code)]
#[path = "guarantees/support.rs"]
mod support;

#[path = "quarantine/escape.rs"]
mod escape;

#[path = "quarantine/pipe.rs"]
mod pipe;

#[path = "quarantine/e2e.rs"]
mod e2e;

#[path = "quarantine/paths.rs"]
mod paths;

#[path = "quarantine/released.rs"]
mod released;
