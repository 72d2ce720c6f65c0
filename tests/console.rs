//! The web console (issue 21) against the real binary on loopback: every security rule
//! (CSRF, another recipient's message, signed-link replay and expiry, login brute force,
//! headers), the admin's find-open-release path, and in `browser` a real headless Chromium.

mod common;

#[path = "console/client.rs"]
mod client;

#[path = "console/security.rs"]
mod security;

#[path = "console/browser.rs"]
mod browser;
