//! The sans-I/O SMTP protocol core: everything here takes bytes and returns bytes or events,
//! so each edge case is a unit test without sockets.

pub mod params;
pub mod reply;

/// Addresses are a leaf vocabulary shared with the configuration (`crate::address`).
pub use crate::address;
pub use params::{BodyType, MailParams};
pub use reply::{Enhanced, Reply};
pub mod command;
pub mod data;
pub mod line;
pub mod session;
