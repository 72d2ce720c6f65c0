//! No open relay (docs/DESIGN "Guarantees" 2): a recipient is one of Moat's only when its
//! domain is in `domains` and its address hides no second destination (`%` and `!` hacks,
//! source routes, a quoted `@`) that a sloppy backend could forward to. Run at RCPT, before
//! the backend is asked; the policy table makes `RELAY_DENIED` a refusal.

use crate::checks::Finding;
use crate::config::Domains;
use crate::config::stages::ids;
use crate::smtp::address::Mailbox;

/// `RELAY_DENIED` for a recipient Moat must not accept, else nothing.
pub fn check(domains: &Domains, to: &Mailbox) -> Option<Finding> {
    let why = if to.is_routing_trick() {
        "routing trick"
    } else if !domains.contains(&to.domain) {
        "domain not in domains"
    } else {
        return None;
    };
    let reason = format!("{why}: {}", to.address());
    Some(Finding::fact(ids::RELAY_DENIED, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn domains() -> Domains {
        let yaml = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: m\n";
        Config::from_yaml(yaml, "t.yaml").unwrap().domains
    }

    fn mailbox(text: &str) -> Mailbox {
        crate::smtp::address::parse_path(text, false)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn relay_tricks_and_foreign_domains_are_relay_denied() {
        let d = domains();
        for rcpt in [
            "<user%other.test@example.test>",
            "<@a.test:u@example.test>",
            "<\"u@other.test\"@example.test>",
            "<u@other.test>",
            "<other.test!u@example.test>",
            "<u@[127.0.0.1]>",
        ] {
            let f = check(&d, &mailbox(rcpt)).unwrap_or_else(|| panic!("{rcpt} relayed"));
            assert_eq!(f.id, "RELAY_DENIED");
        }
        assert_eq!(check(&d, &mailbox("<Alice@EXAMPLE.test>")), None);
    }
}
