//! Unit tests of the crate as a whole, one file per concern.

mod future_sizes;
mod layering;
