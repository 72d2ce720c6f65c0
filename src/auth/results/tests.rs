use super::*;
use crate::auth::policy;

/// The findings as the policy table weighs them with the built-in `auth.policy` defaults
/// (what `judge` does at the end of DATA).
fn weighed(findings: Vec<Finding>) -> Vec<Finding> {
    let table = policy::defaults();
    findings
        .into_iter()
        .map(|mut f| {
            let rule = table.get(f.id.as_str()).copied().unwrap_or_default();
            (f.score, f.force) = (rule.score, rule.force);
            f
        })
        .collect()
}

fn results() -> Results {
    Results {
        helo: "mail.sender.test".into(),
        client_ip: "192.0.2.1".parse().unwrap(),
        spf_helo: Spf {
            result: Res::None,
            identity: "postmaster@mail.sender.test".into(),
        },
        spf_mail_from: Spf {
            result: Res::Pass,
            identity: "a@sender.test".into(),
        },
        dkim: vec![DkimSignature {
            result: Res::Fail,
            domain: "sender.test".into(),
            selector: "s1".into(),
            reason: Some("body hash (mismatch)".into()),
        }],
        arc: Arc {
            result: ArcStatus::None,
            sealer: None,
            reason: None,
        },
        dmarc: Dmarc {
            result: Res::Fail,
            from_domain: "sender.test".into(),
            policy: DmarcPolicy::Reject,
            bad_from: None,
        },
        iprev: Some((Res::Pass, Some("mail.sender.test.".into()))),
        trusted_forwarder: false,
    }
}

#[test]
fn header_lists_every_method_with_properties() {
    assert_eq!(
        results().header("mx.example.test"),
        "Authentication-Results: mx.example.test;\r\n\tspf=none smtp.helo=mail.sender.test;\r\n\tspf=pass smtp.mailfrom=a@sender.test;\r\n\tdkim=fail (body hash  mismatch ) header.d=sender.test header.s=s1;\r\n\tarc=none;\r\n\tdmarc=fail header.from=sender.test policy.dmarc=reject;\r\n\tiprev=pass (mail.sender.test.) policy.iprev=192.0.2.1\r\n"
    );
}

#[test]
fn dmarc_fail_under_reject_policy_forces_reject() {
    let findings = weighed(results().findings());
    let ids: Vec<_> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "SPF_HELO_NONE",
            "SPF_PASS",
            "DKIM_FAIL",
            "ARC_NONE",
            "DMARC_REJECT",
            "IPREV_PASS"
        ]
    );
    let reject = findings.iter().find(|f| f.id == "DMARC_REJECT").unwrap();
    assert_eq!(reject.force, Some(crate::verdict::Action::Reject));
}

#[test]
fn dmarc_fail_excused_by_trusted_forwarder() {
    let mut r = results();
    r.trusted_forwarder = true;
    let findings = weighed(r.findings());
    assert!(findings.iter().any(|f| f.id == "DMARC_FORWARDED"));
    assert!(findings.iter().all(|f| f.force.is_none()));
    assert!(
        r.header("mx")
            .contains("dmarc=fail (excused: trusted ARC forwarder)")
    );
}

#[test]
fn several_from_headers_are_a_dmarc_failure() {
    let mut r = results();
    r.dmarc.bad_from = Some("several From headers");
    let findings = weighed(r.findings());
    let bad = findings.iter().find(|f| f.id == "DMARC_BAD_FROM").unwrap();
    assert_eq!(bad.force, Some(crate::verdict::Action::Reject));
    assert!(r.header("mx").contains("dmarc=fail (several From headers)"));
}

#[test]
fn header_values_cannot_inject_fields() {
    let mut r = results();
    r.helo = "evil;\r\nX-Injected: 1".into();
    let h = r.header("mx");
    assert!(h.contains("smtp.helo=\"evil;X-Injected:1\""), "{h}");
}

#[test]
fn thousands_of_dkim_signatures_listed_bounded_passes_first() {
    let mut r = results();
    let sig = |result, i: usize| DkimSignature {
        result,
        domain: format!("d{i}.test"),
        selector: "s".into(),
        reason: None,
    };
    r.dkim = (0..5_000).map(|i| sig(Res::Fail, i)).collect();
    r.dkim.push(sig(Res::Pass, 5_000));
    let h = r.header("mx.example.test");
    assert_eq!(h.matches("dkim=").count(), MAX_LISTED_DKIM, "{h}");
    assert!(
        h.contains("dkim=pass header.d=d5000.test"),
        "a pass is listed first: {h}"
    );
    assert!(h.contains("(4981 more DKIM signatures not listed);"), "{h}");
    assert!(h.len() < 4096, "{} bytes", h.len());
}

#[test]
fn arc_failure_reason_in_comment_and_finding() {
    let mut r = results();
    r.arc = Arc {
        result: ArcStatus::Fail,
        sealer: Some("forward.test".into()),
        reason: Some("ARC-Seal i=1: tag s= appears twice".into()),
    };
    let h = r.header("mx");
    assert!(
        h.contains("arc=fail (ARC-Seal i=1: tag s= appears twice, sealed by forward.test);"),
        "{h}"
    );
    let findings = weighed(r.findings());
    let arc = findings.iter().find(|f| f.id == "ARC_FAIL").unwrap();
    assert_eq!(
        arc.reason,
        "ARC sealer forward.test: ARC-Seal i=1: tag s= appears twice"
    );
}
