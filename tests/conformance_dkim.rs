//! DKIM verdicts that follow RFC 6376 and RFC 8463 (issue 17 item 4), end to end: messages
//! signed by dkimpy (`conformance_dkim/sign.py`) or taken from the RFCs, changed after
//! signing where a case needs it, sent through a real `moat serve` whose resolver asks a
//! loopback DNS server; the result is read from Moat's Authentication-Results on the
//! delivered copy and from the finding `moat scan --json` reports. docs/auth.md lists the
//! cases and figures.

mod common;

#[allow(dead_code)]
#[path = "auth/signer.rs"]
mod signer;

#[allow(dead_code)]
#[path = "conformance_arc/harness.rs"]
mod harness;

#[path = "conformance_dkim/kit.rs"]
mod kit;

#[path = "conformance_dkim/canon.rs"]
mod canon;

#[path = "conformance_dkim/keys.rs"]
mod keys;

#[path = "conformance_dkim/rfc.rs"]
mod rfc;
