//! Shared harness for loopback integration and end-to-end tests.
//! Each test binary includes this with `mod common;` and uses what it needs.
#![allow(dead_code)]

pub mod admin;
pub mod client;
pub mod count_sink;
pub mod dns;
pub mod dovecot;
pub mod fault_backend;
pub mod haproxy;
pub mod http;
pub mod inproc;
pub mod mailbox;
pub mod moat;
pub mod poll;
pub mod redis;
pub mod rng;
pub mod sink;
pub mod tools;
