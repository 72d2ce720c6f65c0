//! The bodies of the fuzz targets in `fuzz/fuzz_targets/`, one function per target.
//!
//! They live in the library so that the same code runs under `cargo fuzz` (coverage-guided,
//! long runs, see `fuzz/run.sh`) and in the ordinary test suite (tests/fuzz_replay.rs: every
//! committed seed plus deterministic mutations of it). Each function takes arbitrary bytes and
//! panics only when Moat breaks one of its own promises about that input.

use crate::config::{BareNewline, Config, DEFAULT_YAML};
use crate::rules::facts::{Envelope, Facts};
use crate::rules::{RuleSet, Source, builtin};
use crate::smtp::Reply;
use crate::smtp::command::Command;
use crate::smtp::data::{DataProblem, DataReceiver};
use crate::smtp::session::{Event, Session, SessionConfig};
use crate::verdict::{Thresholds, decide};
use std::sync::{Arc, LazyLock};

/// The names of the targets, as `fuzz/Cargo.toml` and `fuzz/seeds/` know them.
pub const TARGETS: [&str; 13] = [
    "command",
    "data_receiver",
    "session",
    "config",
    "backend_reply",
    "proxy_header",
    "rules",
    "pipeline",
    "suffix_list",
    "admin_request",
    "archive",
    // The doors (issue 20): bodies in their own modules.
    "milter_packet",
    "scan_api_head",
];

/// Runs the target called `name` on `data`; false if there is no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "command" => command(data),
        "data_receiver" => data_receiver(data),
        "session" => session(data),
        "config" => config(data),
        "backend_reply" => backend_reply(data),
        "proxy_header" => proxy_header(data),
        "rules" => rules(data),
        "pipeline" => pipeline(data),
        "suffix_list" => suffix_list(data),
        "admin_request" => admin_request(data),
        "archive" => archive(data),
        "milter_packet" => crate::doors::milter::codec::fuzz(data),
        "scan_api_head" => crate::doors::scan_api::http::fuzz(data),
        _ => return false,
    }
    true
}

/// SMTP command lines: the parser never panics, and a parsed recipient has no line break.
pub fn command(line: &[u8]) {
    if let Ok(Command::Rcpt { to }) = crate::smtp::command::parse(line) {
        assert!(!to.address().contains(['\r', '\n']));
    }
}

/// Public Suffix List files: a parsed list answers for any host without panicking, and a
/// registrable domain is a suffix of the host it came from.
pub fn suffix_list(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (rules, hosts) = text
        .split_once("\n\n")
        .unwrap_or((&text, "a.b.example.co.uk"));
    if let Ok(list) = crate::reputation::psl::SuffixList::parse(rules, "fuzz") {
        for host in hosts.lines().take(64) {
            if let Some(domain) = list.registrable(host) {
                assert!(host.trim_end_matches('.').to_lowercase().ends_with(&domain));
            }
        }
    }
}

/// Backend replies: never panic, never claim more bytes than given, codes stay in 2xx–5xx.
pub fn backend_reply(data: &[u8]) {
    if let Ok(Some((reply, used))) = crate::relay::reply::parse_reply(data) {
        assert!(used <= data.len());
        assert!((200..600).contains(&reply.code));
    }
}

/// The configuration loader: any text gives a Config or a non-empty list of errors.
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(errors) = Config::from_yaml(text, "fuzz.yaml")
    {
        assert!(!errors.0.is_empty());
    }
}

/// PROXY headers: never claim more bytes than given, and parse the same from exactly the
/// bytes they claim.
pub fn proxy_header(data: &[u8]) {
    if let Ok(Some(h)) = crate::inbound::proxy::parse::parse(data) {
        assert!(h.consumed <= data.len());
        assert_eq!(
            crate::inbound::proxy::parse::parse(&data[..h.consumed]),
            Ok(Some(h.clone()))
        );
    }
}

/// Admin HTTP request heads: the parser never panics; what it accepts has a path and header
/// fields that cannot carry a line break, parses the same when written back, and the
/// `POST /reload` guard decides on it.
pub fn admin_request(data: &[u8]) {
    use crate::admin::http;
    let head = match http::head_len(data) {
        Some(n) => {
            assert!(n <= data.len());
            &data[..n]
        }
        None => data,
    };
    let Ok(request) = http::parse(head) else {
        return;
    };
    assert!(request.path.starts_with('/'));
    assert!(!request.path.contains(['\r', '\n', ' ', '?']));
    assert!(request.headers.len() <= http::MAX_HEADERS);
    let mut again = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        assert!(!name.is_empty() && !name.contains([':', ' ', '\r', '\n']));
        assert_eq!(name, &name.to_ascii_lowercase());
        assert!(!value.contains(['\r', '\n']));
        again.push_str(&format!("{name}: {value}\r\n"));
    }
    again.push_str("\r\n");
    assert_eq!(http::parse(again.as_bytes()).as_ref(), Ok(&request));
    let _ = crate::admin::routes::reload_refusal(&request);
}

/// Rule files: any text compiles or gives rule errors; a compiled set runs its own examples.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source {
        origin: "fuzz.yaml".into(),
        text: text.into(),
    };
    match RuleSet::compile(vec![source]) {
        Ok(set) => {
            let _ = crate::rules::examples::run(&set);
        }
        Err(errors) => assert!(!errors.0.is_empty()),
    }
}

/// Compiled once: compiling the rule pack on every input would dominate the run.
static BUILTIN_RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::compile(builtin::sources()).expect("built-in rules compile"));

/// The message pipeline without the network: parse and decode (facts), the built-in rule
/// pack, the verdict. Any bytes give a verdict.
pub fn pipeline(data: &[u8]) {
    let env = Envelope {
        client_ip: [192, 0, 2, 1].into(),
        helo: "mail.example.org".into(),
        mail_from: "sender@example.org".into(),
        rcpt_to: vec!["user@example.com".into()],
    };
    let facts = Facts::extract(data, &env, 1_767_225_600);
    let verdict = decide(BUILTIN_RULES.evaluate(&facts), &Thresholds::default());
    std::hint::black_box(verdict);
}

/// The most a fuzzed DATA receiver or session may keep of a message.
const MAX_MESSAGE: usize = 4096;

type DataOutcome = Option<(usize, Result<Vec<u8>, DataProblem>)>;

/// Feeds `input` to a fresh receiver in pieces of `split` bytes: where the message ended
/// (offset just past the terminator) and what it gave.
fn receive(input: &[u8], split: usize, policy: BareNewline) -> DataOutcome {
    let mut r = DataReceiver::new(MAX_MESSAGE, 1000, policy, 0);
    let mut offset = 0;
    for piece in input.chunks(split.max(1)) {
        if let Some(used) = r.feed(piece) {
            return Some((offset + used, r.finish()));
        }
        offset += piece.len();
    }
    None
}

/// The DATA receiver: never keeps more than the limit, ends only after CRLF.CRLF, and agrees
/// with itself however the input is split into reads (the first byte picks the split).
pub fn data_receiver(data: &[u8]) {
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    for policy in [BareNewline::Reject, BareNewline::Normalize] {
        let whole = receive(input, input.len(), policy);
        let pieces = receive(input, usize::from(split % 17) + 1, policy);
        assert_eq!(whole, pieces);
        if let Some((end, result)) = whole {
            // The message ends only right after CRLF.CRLF (or ".\r\n" as the very first line).
            assert!(input[..end].ends_with(b".\r\n"));
            assert!(end == 3 || input[..end].ends_with(b"\r\n.\r\n"));
            if let Ok(body) = result {
                assert!(body.len() <= MAX_MESSAGE);
            }
        }
    }
}

/// Built once: parsing the YAML on every input would dominate the run.
static SESSION_CONFIG: LazyLock<Arc<SessionConfig>> = LazyLock::new(|| {
    let c = Config::from_yaml(DEFAULT_YAML, "fuzz").expect("default config loads");
    let mut limits = c.limits.clone();
    limits.max_message_size = MAX_MESSAGE;
    limits.max_bad_commands = 50;
    let memory = crate::budget::MemoryBudget::new(c.limits.max_memory);
    let mut session = SessionConfig::from_config(&c, true, None, memory);
    session.limits = limits;
    Arc::new(session)
});

/// The session state machine fed arbitrary client bytes: a driver that accepts everything
/// always gets an event it can act on, and no message exceeds the size limit.
pub fn session(data: &[u8]) {
    let mut s = Session::new(SESSION_CONFIG.clone(), "FUZZ".into());
    s.greet();
    for piece in data.chunks(97) {
        s.feed(piece);
        loop {
            match s.poll() {
                Event::NeedInput => break,
                Event::Hello { .. } => s.proceed(),
                Event::Mail { .. } | Event::Rcpt { .. } => {
                    s.resolve(Reply::status(250, 0, 0, "OK"))
                }
                Event::Message { body } => {
                    assert!(body.len() <= MAX_MESSAGE);
                    s.resolve(Reply::status(250, 0, 0, "OK"))
                }
                Event::Reset => {}
                Event::StartTls => s.tls_established(),
                Event::Close => return,
            }
        }
        let _ = s.take_output();
    }
}

/// The attachment inspector and archive walker (`crate::malware::inspect`): the first byte
/// picks the attachment's name, the rest is its content. Never a panic; every fact names a
/// place inside the attachment; the facts stay within what the bounds allow.
pub fn archive(data: &[u8]) {
    use crate::malware::inspect::{Kind, Limits, inspect};
    const NAMES: [&str; 6] = ["a.zip", "invoice.pdf", "b.tgz", "c.doc", "d.html", ""];
    let (name, file) = match data.split_first() {
        Some((b, rest)) => (NAMES[usize::from(*b) % NAMES.len()], rest),
        None => ("", data),
    };
    let limits = Limits {
        max_depth: 3,
        max_members: 64,
        max_member_size: 1 << 20,
        max_total_size: 4 << 20,
        max_ratio: 100,
    };
    let hits = inspect(name, file, &limits);
    for hit in &hits {
        assert!(hit.path.starts_with(name), "{hit:?}");
    }
    assert!(hits.len() <= (limits.max_members + 2) * Kind::ALL.len());
}
