//! The `scan_api` and `milter` sections live with the rest of the configuration.

pub use crate::config::doors::*;
