//! Messages: the header fields Moat writes (`Received:`, `X-Spam-*`) and stored mail
//! as the offline commands read it.

pub mod headers;
pub mod mailstore;
pub mod spam_headers;
