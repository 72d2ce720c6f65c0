//! CIDR blocks are plain configuration data (`crate::config::cidr`); rules use them too.

pub use crate::config::cidr::Cidr;
