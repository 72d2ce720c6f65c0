//! Issue 9, Redis storage: `moat learn` publishes the classifier model to Redis; a running
//! Moat picks the new version up by itself and marks spam, a Moat started later loads it at
//! start, and a corrupt version in Redis turns the classifier off with a clear log line.

use crate::common::fault_backend::FaultBackend;
use crate::common::moat::moat_bin;
use crate::common::redis::Redis;
use crate::support::{Instance, session, start};
use moat::config::state::{Backend, StateConfig, parse_url};
use std::path::{Path, PathBuf};
use std::process::Command;

const SPAM: &[&str] = &[
    "replica", "watches", "discount", "rolex", "cheap", "luxury", "bargain",
];
const HAM: &[&str] = &[
    "meeting", "agenda", "review", "patch", "release", "project", "notes",
];

/// A deterministic message of one class (words picked by a generator seeded with `n`).
fn message(spam: bool, n: u64) -> String {
    let pool = if spam { SPAM } else { HAM };
    let mut rng = crate::common::rng::Rng::seeded(n);
    let words: Vec<&str> = (0..40).map(|_| rng.pick(pool)).collect();
    format!(
        "Subject: {} {}\r\nMessage-ID: <{n}.{spam}@x.test>\r\n\r\n{}\r\n",
        words[0],
        words[1],
        words.join(" ")
    )
}

fn corpus(dir: &Path, spam: bool) -> PathBuf {
    let d = dir.join(if spam { "spam" } else { "ham" });
    std::fs::create_dir_all(&d).unwrap();
    for n in 0..25 {
        std::fs::write(d.join(format!("{n}.eml")), message(spam, n)).unwrap();
    }
    d
}

/// Sends a new spam through `m`; returns the relayed message as the backend got it.
fn relay_spam(m: &Instance, backend: &FaultBackend, n: u64) -> String {
    let mut c = session("127.0.0.1", m.moat.addr);
    assert!(c.cmd("MAIL FROM:<deals@shop.test>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    let reply = c.cmd(&format!("{}.", message(true, n)));
    assert!(reply.starts_with("250"), "{reply}");
    c.cmd("QUIT");
    let id = format!("<{n}.true@x.test>");
    backend
        .messages_containing(&id)
        .pop()
        .expect("relayed")
        .text()
}

#[test]
fn bayes_model_in_redis_is_learned_shared_and_swapped_live() {
    let Some(redis) = Redis::start("bayes_model_redis") else {
        return;
    };
    let backend = FaultBackend::normal();
    let yaml = format!(
        "state:\n  backend: redis\n  url: {}\n\
         bayes:\n  storage: redis\n  poll: 200ms\n  min_spam: 20\n  min_ham: 20\n",
        redis.url()
    );
    let a = start(&backend, &yaml);
    assert!(
        a.moat.wait_log("bayes model missing in Redis"),
        "{}",
        a.moat.log()
    );
    assert!(!relay_spam(&a, &backend, 1000).contains("BAYES_"));

    let dir = tempfile::tempdir().unwrap();
    let (spam, ham) = (corpus(dir.path(), true), corpus(dir.path(), false));
    let out = Command::new(moat_bin())
        .arg("learn")
        .arg("--config")
        .arg(&a.moat.config_path)
        .arg("--spam")
        .arg(&spam)
        .arg("--ham")
        .arg(&ham)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("published version 1") && text.contains("redis:bayes:model"),
        "{text}"
    );

    // The running instance notices the new version by itself.
    assert!(a.moat.wait_log("bayes model loaded"), "{}", a.moat.log());
    assert!(a.moat.wait_log("model=\"redis:"), "{}", a.moat.log());
    let marked = relay_spam(&a, &backend, 1001);
    assert!(
        marked.contains("X-Spam-Flag: YES") && marked.contains("BAYES_99"),
        "{marked}"
    );
    // A second instance loads it at start.
    let b = start(&backend, &yaml);
    assert!(b.moat.wait_log("bayes model loaded"), "{}", b.moat.log());
    assert!(b.moat.wait_log("model=\"redis:"), "{}", b.moat.log());
    assert!(relay_spam(&b, &backend, 1002).contains("BAYES_99"));

    // A damaged version: refused, classifier silent, Moat keeps serving.
    let store = moat::store::state::Store::new(&StateConfig {
        backend: Backend::Redis,
        redis: parse_url(&redis.url()).unwrap(),
        ..StateConfig::default()
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let published = rt.block_on(store.publish("bayes:model", b"MOATBAY2 truncated", Some(1)));
    assert_eq!(published, Ok(Some(2)));
    assert!(a.moat.wait_log("is corrupt"), "{}", a.moat.log());
    assert!(a.moat.wait_log("classifier off"), "{}", a.moat.log());
    assert!(!relay_spam(&a, &backend, 1003).contains("BAYES_"));
}
