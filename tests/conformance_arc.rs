//! ARC and DKIM verdicts that follow the RFCs (issue 22), end to end: chains and signatures
//! built by dkimpy, broken one rule at a time and signed again (`conformance_arc/forge.py`),
//! sent through a real `moat serve` whose resolver asks a loopback DNS server; the result is
//! read from Moat's Authentication-Results on the delivered copy and from the finding that
//! `moat scan --json` reports, and dkimpy's own verifier is asked to agree.

mod common;

#[allow(dead_code)]
#[path = "auth/signer.rs"]
mod signer;

#[allow(dead_code)]
#[path = "conformance_arc/harness.rs"]
mod harness;

#[path = "conformance_arc/arc_cases.rs"]
mod arc_cases;

#[path = "conformance_arc/dkim_cases.rs"]
mod dkim_cases;
