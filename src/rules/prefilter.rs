//! The patterns of a target's `RegexSet`, which only picks candidate rules.
//!
//! A Unicode word boundary (`\b`, the default) stops the regex crate's lazy DFA at the first
//! non-ASCII byte of the text, and a set that gives up falls back to the PikeVM for the whole
//! search, an order of magnitude slower. Most real mail has a non-ASCII byte somewhere, and
//! most body rules use `\b`. So the set is built from each pattern with its Unicode
//! word-boundary assertions erased: without a zero-width assertion a pattern matches
//! everywhere the original did (and possibly more), and every candidate is confirmed by the
//! rule's own regex (`eval::group`), which finds the match to quote anyway.

use regex_syntax::hir::{Hir, HirKind, Look};

/// `pattern` with its Unicode word-boundary assertions erased, as regex syntax; the pattern
/// itself when it has none (or does not parse, which compiling it already ruled out).
pub fn set_pattern(pattern: &str) -> String {
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(hir) if has_unicode_word_look(&hir) => erase(hir).to_string(),
        _ => pattern.to_string(),
    }
}

/// Whether `pattern` can match two bytes or fewer. Such a pattern (`\w`, `[!?]`, `\d+`)
/// matches almost everywhere, and an overlapping set search stops and restarts at every match
/// of every pattern: one `\w` in a set made the set search of a 4 KB body restart 2,400
/// times and cost six times a plain scan. On its own, a leftmost search stops at the first
/// match, which is what a rule needs.
pub fn is_dense(pattern: &str) -> bool {
    regex_syntax::Parser::new()
        .parse(pattern)
        .is_ok_and(|hir| hir.properties().minimum_len().is_some_and(|n| n <= 2))
}

fn is_unicode_word(look: Look) -> bool {
    matches!(
        look,
        Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode
    )
}

fn has_unicode_word_look(hir: &Hir) -> bool {
    hir.properties().look_set().iter().any(is_unicode_word)
}

fn erase(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Look(l) if is_unicode_word(l) => Hir::empty(),
        HirKind::Look(l) => Hir::look(l),
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(c) => Hir::class(c),
        HirKind::Repetition(mut r) => {
            r.sub = Box::new(erase(*r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(mut c) => {
            c.sub = Box::new(erase(*c.sub));
            Hir::capture(c)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(erase).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.into_iter().map(erase).collect()),
    }
}

#[cfg(test)]
mod tests;
