//! Placeholder: the real-browser test lands in the next increment.
