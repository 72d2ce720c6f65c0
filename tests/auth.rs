//! Sender authentication against a real DNS server on loopback (tests/common/dns.rs) and an
//! independent signer (dkimpy): SPF, DKIM, ARC, DMARC, iprev, the Authentication-Results
//! header, forged-header removal, the policy, and behaviour when DNS dies.

mod common;

#[path = "auth/signer.rs"]
mod signer;

#[path = "auth/env.rs"]
mod env;

#[path = "auth/spf.rs"]
mod spf;

#[path = "auth/dmarc.rs"]
mod dmarc;

#[path = "auth/dmarc_org.rs"]
mod dmarc_org;

#[path = "auth/arc.rs"]
mod arc;

#[path = "auth/iprev.rs"]
mod iprev;

#[path = "auth/e2e.rs"]
mod e2e;

#[path = "auth/smtp.rs"]
mod smtp;

#[path = "auth/metrics.rs"]
mod metrics;
