//! ARC chains broken one tag at a time (RFC 8617 5.2, RFC 6376 3.2, RFC 8301 3.1): each must
//! be `arc=fail` with the broken rule as the reason, in Moat's header and finding — never
//! `neutral`, `permerror` or `none` — and dkimpy must say fail too.

use crate::harness::*;

/// Seals each base message with its mutation (`one_hop`, `second_hop`).
type Build = fn(Vec<Vec<u8>>, &[&str]) -> Vec<Vec<u8>>;

/// One broken chain: forge.py's mutation and the reason Moat must give.
struct Case {
    mutation: &'static str,
    reason: &'static str,
    /// Whether dkimpy, the reference verifier, also says fail (see the cases where not).
    reference_fails: bool,
}

const fn case(mutation: &'static str, reason: &'static str) -> Case {
    Case {
        mutation,
        reason,
        reference_fails: true,
    }
}

/// Builds every case's message, sends each through `moat serve`, scans them all with
/// `moat scan`, asks dkimpy; reports all mismatches at once.
fn run(world: &World, test: &str, build: Build, cases: &[Case]) {
    let subjects: Vec<String> = (0..cases.len()).map(|n| format!("{test}-{n}")).collect();
    let bases = subjects.iter().map(|s| message(s, "")).collect();
    let mutations: Vec<&str> = cases.iter().map(|c| c.mutation).collect();
    let messages = build(bases, &mutations);
    let findings = world.findings_all(&messages);
    let reference = dkimpy_arc_all(&messages);
    let mut wrong = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let header = world.deliver(&subjects[n], &messages[n]);
        let arc = header
            .split("; ")
            .find(|p| p.starts_with("arc="))
            .unwrap_or("")
            .to_string();
        let want = format!("arc=fail ({}", c.reason);
        if !arc.starts_with(&want) {
            wrong.push(format!(
                "{}: header says {arc:?}, want {want:?}",
                c.mutation
            ));
        }
        let (id, why) = finding(&findings[n], "ARC_");
        if id != "ARC_FAIL" || !why.contains(c.reason) {
            wrong.push(format!("{}: finding {id} {why:?}", c.mutation));
        }
        if reference[n].starts_with("fail") != c.reference_fails {
            wrong.push(format!("{}: dkimpy says {:?}", c.mutation, reference[n]));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

fn one_hop(messages: Vec<Vec<u8>>, mutations: &[&str]) -> Vec<Vec<u8>> {
    seal_all(&messages, "arc", "lists.forward.test", mutations)
}

/// A valid first hop, then the forwarder's second, broken, hop (it verified the first:
/// its Authentication-Results say arc=pass).
fn second_hop(messages: Vec<Vec<u8>>, mutations: &[&str]) -> Vec<Vec<u8>> {
    let none = vec!["none"; messages.len()];
    let first = seal_all(&messages, "arc", "lists.forward.test", &none);
    let with_results: Vec<Vec<u8>> = first
        .into_iter()
        .map(|m| {
            [
                &b"Authentication-Results: relay.forward.test; arc=pass\r\n"[..],
                &m,
            ]
            .concat()
        })
        .collect();
    seal_all(&with_results, "arc", "relay.forward.test", mutations)
}

#[test]
fn conformance_arc_valid_chains_pass_as_dkimpy_says() {
    let test = "conformance_arc_valid_chains_pass_as_dkimpy_says";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    for (n, build) in [one_hop as Build, second_hop].iter().enumerate() {
        let subject = format!("valid-{n}");
        let message = build(vec![message(&subject, "")], &["none"]).remove(0);
        let header = world.deliver(&subject, &message);
        assert!(
            header.contains("; arc=pass (sealed by forward.test);"),
            "{header}"
        );
        let findings = world.findings(&message);
        assert_eq!(finding(&findings, "ARC_").0, "ARC_PASS", "{findings:?}");
        assert!(dkimpy_arc(&message).starts_with("pass"));
    }
    let plain = message("unsealed", "");
    assert!(world.deliver("unsealed", &plain).contains("; arc=none;"));
}

#[test]
fn conformance_arc_seal_broken_one_tag_at_a_time() {
    let test = "conformance_arc_seal_broken_one_tag_at_a_time";
    if !tools_present(test) {
        return;
    }
    let cases = [
        case("seal:drop:a", "ARC-Seal i=1: no a= tag"),
        case("seal:empty:a", "ARC-Seal i=1: empty a= tag"),
        case(
            "seal:set:a:rsa-sha1",
            "ARC-Seal i=1: a=rsa-sha1 is not valid, RFC 8301 3.1",
        ),
        case(
            "seal:set:a:rsa-sha512",
            "ARC-Seal i=1: unknown a= algorithm",
        ),
        case("seal:drop:b", "ARC-Seal i=1: no b= tag"),
        case("seal:empty:b", "ARC-Seal i=1: empty b= tag"),
        case("seal:set:b:!!!!", "ARC-Seal i=1: b= is not base64"),
        case("seal:drop:cv", "ARC-Seal i=1: no cv= tag"),
        case("seal:empty:cv", "ARC-Seal i=1: empty cv= tag"),
        case("seal:set:cv:maybe", "ARC-Seal i=1: invalid cv= value"),
        case("seal:upper:cv", "ARC-Seal i=1: no cv= tag"),
        case("seal:set:cv:pass", "ARC-Seal i=1 must say cv=none"),
        case("seal:drop:d", "ARC-Seal i=1: no d= tag"),
        case("seal:empty:d", "ARC-Seal i=1: empty d= tag"),
        case("seal:set:d:bad..test", "ARC-Seal i=1: invalid d= domain"),
        case("seal:dup:d", "ARC-Seal i=1: tag d= appears twice"),
        case("seal:drop:s", "ARC-Seal i=1: no s= tag"),
        case("seal:empty:s", "ARC-Seal i=1: empty s= tag"),
        case("seal:dup:s", "ARC-Seal i=1: tag s= appears twice"),
        case("seal:upper:s", "ARC-Seal i=1: no s= tag"),
        case("seal:drop:i", "ARC-Seal: no i= tag"),
        case("seal:set:i:0", "ARC-Seal i=0: invalid i= instance"),
        case("seal:set:i:2", "ARC set i=2 has no ARC-Message-Signature"),
        case("seal:emptyspec", "ARC-Seal i=1: empty tag-spec"),
        case(
            "seal:set:h:from",
            "ARC-Seal i=1: h= in an ARC-Seal, RFC 8617 4.1.3",
        ),
    ];
    let world = World::start("");
    run(&world, "seal", one_hop, &cases);
}

#[test]
fn conformance_arc_message_signature_broken_one_tag_at_a_time() {
    let test = "conformance_arc_message_signature_broken_one_tag_at_a_time";
    if !tools_present(test) {
        return;
    }
    let cases = [
        // mail-auth took a missing a= as rsa-sha256 and accepted rsa-sha1 and an AMS that
        // signs ARC-Seal: these three passed before.
        case("ams:drop:a", "ARC-Message-Signature i=1: no a= tag"),
        case(
            "ams:set:a:rsa-sha1",
            "ARC-Message-Signature i=1: a=rsa-sha1 is not valid",
        ),
        case(
            "ams:add_h:arc-seal",
            "ARC-Message-Signature i=1: AMS signs ARC-Seal, RFC 8617 4.1.2",
        ),
        case("ams:drop:b", "ARC-Message-Signature i=1: no b= tag"),
        case("ams:drop:bh", "ARC-Message-Signature i=1: no bh= tag"),
        case("ams:empty:bh", "ARC-Message-Signature i=1: empty bh= tag"),
        case(
            "ams:set:bh:abc",
            "ARC-Message-Signature i=1: bh= is not base64",
        ),
        case(
            "ams:set:c:fancy",
            "ARC-Message-Signature i=1: invalid c= canonicalization",
        ),
        case("ams:drop:d", "ARC-Message-Signature i=1: no d= tag"),
        case(
            "ams:dup:d",
            "ARC-Message-Signature i=1: tag d= appears twice",
        ),
        case("ams:drop:h", "ARC-Message-Signature i=1: no h= tag"),
        // RFC 6376 3.5: h= names at least one field; dkimpy accepts an empty list.
        Case {
            reference_fails: false,
            ..case("ams:empty:h", "ARC-Message-Signature i=1: empty h= tag")
        },
        case("ams:empty:s", "ARC-Message-Signature i=1: empty s= tag"),
        case("ams:upper:s", "ARC-Message-Signature i=1: no s= tag"),
        case("ams:emptyspec", "ARC-Message-Signature i=1: empty tag-spec"),
        case("ams:set:i:2", "ARC set i=2 has no ARC-Seal"),
    ];
    let world = World::start("");
    run(&world, "ams", one_hop, &cases);
}

#[test]
fn conformance_arc_sets_incomplete_duplicated_or_misnumbered() {
    let test = "conformance_arc_sets_incomplete_duplicated_or_misnumbered";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    let one = [
        // A seal and results without a message signature were "none" before.
        case("set:drop_ams", "ARC set i=1 has no ARC-Message-Signature"),
        case("set:dup", "two ARC-Seal fields with i=1"),
        case("aar:set:i:2", "ARC set i=2 has no ARC-Seal"),
        case(
            "aar:drop:i",
            "ARC-Authentication-Results: invalid i= instance",
        ),
    ];
    run(&world, "set", one_hop, &one);
    let two = [
        case("seal:set:cv:fail", "ARC-Seal i=2 says cv=fail"),
        case("seal:set:cv:none", "ARC-Seal i=2 must say cv=pass"),
        case("aar:set:i:3", "ARC set i=3 has no ARC-Seal"),
        case("seal:set:i:1", "two ARC-Seal fields with i=1"),
    ];
    run(&world, "hop2", second_hop, &two);
}

/// A broken key is reported as the key's problem, even when the body changed too (the
/// library compared the body first and blamed it).
#[test]
fn conformance_arc_key_errors_reported_as_key_errors() {
    let test = "conformance_arc_key_errors_reported_as_key_errors";
    if !tools_present(test) {
        return;
    }
    let world = World::start("");
    for (n, change_body) in [false, true].into_iter().enumerate() {
        let subject = format!("arc-key-{n}");
        let mut message = seal(
            &message(&subject, ""),
            "arcbad",
            "lists.forward.test",
            "none",
        );
        if change_body {
            message.extend_from_slice(b"-- \r\nfooter\r\n");
        }
        let header = world.deliver(&subject, &message);
        assert!(
            header
                .contains("arc=fail (key arcbad: not a usable public key, sealed by forward.test)"),
            "{header}"
        );
        let findings = world.findings(&message);
        assert_eq!(
            finding(&findings, "ARC_"),
            &(
                "ARC_FAIL".to_string(),
                "ARC sealer forward.test: key arcbad: not a usable public key".to_string()
            )
        );
    }
}

/// `trusted_arc_sealers` excuses a DMARC failure only when the chain passes; a chain that
/// fails on structure (reported `none` or `neutral` before) excuses nothing.
#[test]
fn conformance_arc_trusted_sealer_excuses_only_a_passing_chain() {
    let test = "conformance_arc_trusted_sealer_excuses_only_a_passing_chain";
    if !tools_present(test) {
        return;
    }
    let world = World::start("  trusted_arc_sealers: [forward.test]");
    for (mutation, excused) in [
        ("none", true),
        ("set:drop_ams", false),
        ("ams:drop:a", false),
        ("seal:dup:s", false),
    ] {
        let subject = format!("trusted-{}", mutation.replace(':', "-"));
        let message = seal(
            &message(&subject, ""),
            "arc",
            "lists.forward.test",
            mutation,
        );
        let header = world.deliver(&subject, &message);
        let ids: Vec<String> = world.findings(&message).into_iter().map(|f| f.0).collect();
        if excused {
            assert!(
                header.contains("dmarc=fail (excused: trusted ARC forwarder)"),
                "{header}"
            );
            assert!(ids.contains(&"DMARC_FORWARDED".to_string()), "{ids:?}");
        } else {
            assert!(!header.contains("excused"), "{mutation}: {header}");
            assert!(
                ids.contains(&"DMARC_FAIL".to_string()) && ids.contains(&"ARC_FAIL".to_string()),
                "{mutation}: {ids:?}"
            );
        }
    }
}
