//! docs/replies.md is what the server says: every reply the table documents (code, enhanced
//! code, text) is one the source builds with those codes. A documented reply whose text is
//! built with other codes (the quarantine's `250 2.2.0` against the documented `2.0.0`), or
//! whose text no longer exists, fails here.

use regex::Regex;

/// Every `.rs` file's text under `dir`.
fn sources(dir: &std::path::Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn documented_replies_are_the_ones_the_source_sends() {
    let mut src = String::new();
    sources(&super::repo("src"), &mut src);
    // `Reply::status(550, 7, 1, "Relaying denied")` and deliver's `refused(550, 7, 1, "…")`.
    let call = Regex::new(r#"(?:Reply::status|refused)\(\s*(\d+),\s*(\d+),\s*(\d+),\s*"([^"]*)""#)
        .unwrap();
    let built: Vec<(String, String, String, String)> = call
        .captures_iter(&src)
        .map(|c| (c[1].into(), c[2].into(), c[3].into(), c[4].into()))
        .collect();
    assert!(
        built.len() > 30,
        "the pattern finds the replies: {}",
        built.len()
    );

    let docs = std::fs::read_to_string(super::repo("docs/replies.md")).unwrap();
    let documented = Regex::new(r"`([2-5]\d\d) [2-5]\.(\d+)\.(\d+) ([^`]*)`").unwrap();
    let mut checked = 0;
    for d in documented.captures_iter(&docs) {
        let text = d[4].replace("(ref=…)", "").replace('…', "");
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        // The same text exactly, else texts the table abbreviates (or that abbreviate it).
        let exact: Vec<_> = built.iter().filter(|b| b.3 == text).collect();
        let same_text: Vec<_> = match exact.is_empty() {
            false => exact,
            true => built
                .iter()
                .filter(|b| !b.3.is_empty() && (b.3.starts_with(text) || text.starts_with(&b.3)))
                .collect(),
        };
        if same_text.is_empty() {
            // Built another way (a command error's text, a reply assembled from parts): the
            // text must still exist.
            assert!(
                src.contains(&format!("\"{text}")),
                "documented, not in src: {}",
                &d[0]
            );
            continue;
        }
        let codes = |b: &&(String, String, String, String)| {
            (b.0.as_str(), b.1.as_str(), b.2.as_str()) == (&d[1], &d[2], &d[3])
        };
        assert!(
            same_text.iter().any(codes),
            "docs/replies.md says {} but the source builds {:?}",
            &d[0],
            same_text
        );
        checked += 1;
    }
    assert!(checked > 30, "{checked} documented replies checked");
}
