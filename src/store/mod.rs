//! What outlives a connection: shared state (greylist, rate windows), the quarantine
//! and its release.

pub mod quarantine;
pub mod release;
pub mod state;
