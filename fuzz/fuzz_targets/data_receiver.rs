//! The DATA receiver: never panics, never keeps more than the limit, and agrees with itself
//! however the input is split into reads.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moat::config::BareNewline;
use moat::smtp::data::DataReceiver;

const MAX: usize = 4096;

fn run(input: &[u8], split: usize, policy: BareNewline) -> Option<(usize, Result<Vec<u8>, moat::smtp::data::DataProblem>)> {
    let mut r = DataReceiver::new(MAX, 1000, policy, 0);
    let mut offset = 0;
    for piece in input.chunks(split.max(1)) {
        if let Some(used) = r.feed(piece) {
            return Some((offset + used, r.finish()));
        }
        offset += piece.len();
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, input)) = data.split_first() else { return };
    for policy in [BareNewline::Reject, BareNewline::Normalize] {
        let whole = run(input, input.len(), policy);
        let pieces = run(input, usize::from(split % 17) + 1, policy);
        assert_eq!(whole, pieces);
        if let Some((end, result)) = whole {
            // The message ends only right after CRLF.CRLF (or ".\r\n" as the very first line).
            assert!(input[..end].ends_with(b".\r\n"));
            assert!(end == 3 || input[..end].ends_with(b"\r\n.\r\n"));
            if let Ok(body) = result {
                assert!(body.len() <= MAX);
            }
        }
    }
});
