//! The fuzz targets' promises, checked in the ordinary test suite (no cargo-fuzz, no nightly):
//! every committed seed in `fuzz/seeds/<target>/`, then a fixed number of deterministic
//! pseudo-random mutations of them, through the same function the cargo-fuzz target calls
//! (`moat::fuzzing::<target>`). It is no substitute for coverage-guided runs
//! (`fuzz/run.sh`), but it keeps every past crash fixed and catches a parser that breaks on
//! its first few thousand neighbours of a valid input. A failing input is written to the
//! temporary directory so that it can be replayed and added to the seeds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

#[path = "common/rng.rs"]
#[allow(dead_code)] // its word picker serves the classifier tests
mod rng;
use rng::Rng;

/// Bytes that matter to the parsers: line ends, SMTP and MIME punctuation, YAML structure.
const INTERESTING: &[u8] = b"\r\n.:<>@\"\\-=;[]{}#*&|' \t\0\x7f\xff";

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// One to four edits of `input`, in the spirit of libFuzzer's mutators; `other` is another
/// seed to splice from.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(m.len() + 1);
        match rng.below(7) {
            0 if at < m.len() => m[at] ^= 1 << rng.below(8),
            1 if at < m.len() => m[at] = INTERESTING[rng.below(INTERESTING.len())],
            2 => m.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 if at < m.len() => {
                let end = (at + 1 + rng.below(16)).min(m.len());
                m.drain(at..end);
            }
            4 if at < m.len() => {
                // Repeat a chunk: grows lines, headers, nesting.
                let end = (at + 1 + rng.below(64)).min(m.len());
                let chunk = m[at..end].repeat(1 + rng.below(8));
                m.splice(at..at, chunk);
            }
            5 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(256)).min(other.len());
                m.splice(at..at, other[from..end].iter().copied());
            }
            _ => m.truncate(at),
        }
    }
    m
}

/// Runs `target` on every seed and on `mutations` mutations of them; fails with the path of
/// the first input that panicked. The counts below keep each target near a second or two on a
/// debug build (rule compilation and the whole pipeline are the slow ones).
fn replay(target: &str, mutations: usize) {
    let seeds = seeds(target);
    let mut inputs: Vec<(String, Vec<u8>)> = seeds.clone();
    let mut rng = Rng(0x6d6f_6174_0000_0001 ^ target.len() as u64);
    for i in 0..mutations {
        let (name, base) = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())].1;
        inputs.push((format!("{name}~{i}"), mutate(&mut rng, base, other)));
    }
    for (name, input) in &inputs {
        let ran = catch_unwind(AssertUnwindSafe(|| moat::fuzzing::run(target, input)));
        match ran {
            Ok(known) => assert!(known, "no fuzz target called {target}"),
            Err(_) => {
                let file = std::env::temp_dir().join(format!("moat-fuzz-{target}-{name}"));
                std::fs::write(&file, input).unwrap();
                panic!(
                    "fuzz target {target} panicked on {name}; input saved in {}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn every_fuzz_target_has_seeds() {
    for target in moat::fuzzing::TARGETS {
        assert!(!seeds(target).is_empty());
    }
}

#[test]
fn command_parser_survives_seeds_and_mutations() {
    replay("command", 5_000);
}

#[test]
fn data_receiver_survives_seeds_and_mutations() {
    replay("data_receiver", 5_000);
}

#[test]
fn session_survives_seeds_and_mutations() {
    replay("session", 3_000);
}

#[test]
fn config_loader_survives_seeds_and_mutations() {
    replay("config", 500);
}

#[test]
fn backend_reply_parser_survives_seeds_and_mutations() {
    replay("backend_reply", 5_000);
}

#[test]
fn proxy_header_parser_survives_seeds_and_mutations() {
    replay("proxy_header", 5_000);
}

#[test]
fn rule_loader_survives_seeds_and_mutations() {
    replay("rules", 50);
}

#[test]
fn suffix_list_parser_survives_seeds_and_mutations() {
    replay("suffix_list", 2_000);
}

#[test]
fn admin_request_parser_survives_seeds_and_mutations() {
    replay("admin_request", 5_000);
}

#[test]
fn message_pipeline_survives_seeds_and_mutations() {
    replay("pipeline", 100);
}

#[test]
fn archive_walker_survives_seeds_and_mutations() {
    replay("archive", 2_000);
}

#[test]
fn milter_packet_codec_survives_seeds_and_mutations() {
    replay("milter_packet", 5_000);
}

#[test]
fn scan_api_head_parser_survives_seeds_and_mutations() {
    replay("scan_api_head", 5_000);
}
