//! Autolearn against the real binary (`bayes.autolearn`): `moat serve` with a trained model
//! file learns the spam its rules score high and the ham they score nothing, flushes it
//! into the file, holds the per-sender cap, never learns an allow-listed sender, and saves
//! what is queued at SIGTERM.

mod common;

use common::client::TcpClient;
use common::http::metric;
use common::moat::{Moat, moat_bin};
use common::poll::poll_until;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Two rules of 7 points each: spam scores 14 without the classifier (≥ spam_at 12), from
/// two findings (autolearn's evidence from more than one source).
const RULES: &str = "rules:\n  - id: TEST_SUBJ_ROLEX\n    description: rolex in the subject\n    target: subject\n    regex: 'rolex'\n    score: 7\n  - id: TEST_BODY_REPLICA\n    description: replica in the body\n    target: body\n    regex: 'replica'\n    score: 7\n";

const SPAM_WORDS: &[&str] = &[
    "replica", "watches", "discount", "cheap", "luxury", "bargain",
];
const HAM_WORDS: &[&str] = &["meeting", "agenda", "review", "patch", "build", "release"];

/// A deterministic message; spam always has `rolex` in its subject and `replica` in its body.
fn message(spam: bool, n: u64, from: &str) -> String {
    let pool = if spam { SPAM_WORDS } else { HAM_WORDS };
    let mut rng = common::rng::Rng::seeded(n.wrapping_add(7));
    let mut pick = || rng.pick(pool);
    let subject = if spam {
        format!("rolex {} {}", pick(), pick())
    } else {
        format!("{} {}", pick(), pick())
    };
    let mut body: Vec<&str> = (0..30).map(|_| pick()).collect();
    if spam {
        body.push("replica");
    }
    format!(
        "From: {from}\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <{n}.{spam}@x.test>\r\n\r\n{}\r\n",
        body.join(" ")
    )
}

/// 25 messages of each class, in `dir/spam` and `dir/ham`.
fn corpus(dir: &Path) {
    for (spam, name) in [(true, "spam"), (false, "ham")] {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for n in 0..25 {
            let from = if spam {
                "deals@bargain.test"
            } else {
                "colleague@work.test"
            };
            std::fs::write(d.join(format!("{n}.eml")), message(spam, n, from)).unwrap();
        }
    }
}

/// A model file trained by `moat learn` on the corpus.
fn trained_model(dir: &Path) -> PathBuf {
    corpus(dir);
    let model = dir.join("bayes.model");
    let out = Command::new(moat_bin())
        .args(["learn", "--model"])
        .arg(&model)
        .arg("--spam")
        .arg(dir.join("spam"))
        .arg("--ham")
        .arg(dir.join("ham"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    model
}

fn config(dir: &Path, model: &Path, every: &str) -> String {
    std::fs::write(dir.join("rules.yaml"), RULES).unwrap();
    format!(
        "hostname: mx.test\nlisten: [127.0.0.1:{{PORT}}]\ndomains: [example.test]\n\
         backend:\n  protocol: maildir\n  path: {{DIR}}/mail\nadmin:\n  listen: \"{{ADMIN}}\"\n\
         rules:\n  files: [{}]\n\
         lists:\n  allow:\n    senders: [friend@allowed.test]\n\
         bayes:\n  model: {}\n  min_spam: 20\n  min_ham: 20\n\
         \x20 autolearn:\n    enabled: true\n    spam_at: 12\n    ham_below: 0\n\
         \x20   per_sender_hourly: 3\n    every: {every}\n",
        dir.join("rules.yaml").display(),
        model.display()
    )
}

/// One message over SMTP; the reply to the final dot.
fn send(moat: &Moat, from: &str, body: &str) -> String {
    let mut c = TcpClient::connect(moat.addr);
    assert!(c.reply().starts_with("220"));
    assert!(c.cmd("EHLO client.test").starts_with("250"));
    assert!(c.cmd(&format!("MAIL FROM:<{from}>")).starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@example.test>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    c.send(body.as_bytes());
    let reply = c.cmd(".");
    c.cmd("QUIT");
    reply
}

fn counts(model: &Path) -> (u32, u32) {
    let m = moat::bayes::store::load(model).unwrap().unwrap();
    (m.nspam, m.nham)
}

fn autolearn(admin: std::net::SocketAddr, class: &str, outcome: &str) -> f64 {
    metric(
        admin,
        &format!("moat_bayes_autolearn_total{{class=\"{class}\",outcome=\"{outcome}\"}}"),
    )
}

#[test]
fn autolearn_learns_confident_verdicts_within_the_sender_cap_and_never_allowlisted() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    assert_eq!(counts(&model), (25, 25));
    let server = Moat::start(&config(dir.path(), &model, "200ms"));
    let admin = server.admin.expect("admin listener");

    // Five spams from one sender: its hourly share is 3.
    for n in 100..105 {
        let from = "deals@spam-one.test";
        send(&server, from, &message(true, n, from));
    }
    // Two hams from a colleague, two from an allow-listed sender.
    for n in 100..102 {
        let reply = send(
            &server,
            "colleague@work.test",
            &message(false, n, "colleague@work.test"),
        );
        assert!(reply.starts_with("250"), "{reply}");
    }
    for n in 200..202 {
        let reply = send(
            &server,
            "friend@allowed.test",
            &message(false, n, "friend@allowed.test"),
        );
        assert!(reply.starts_with("250"), "{reply}");
    }

    // The flush adds them to the model file within a few intervals.
    let grown = poll_until(Duration::from_secs(20), || counts(&model) == (28, 27));
    assert!(grown, "model now {:?}\n{}", counts(&model), server.log());
    assert!(
        server.wait_log("autolearn: "),
        "a line per flush\n{}",
        server.log()
    );
    // The server classifies with the new model at once (no reload).
    assert!(
        server.wait_log_until(|l| l.contains("bayes model loaded") && l.contains("spam=28 ham=27")),
        "{}",
        server.log()
    );
    // Counted once the flush that saved them is done (a pulled endpoint: polled).
    let counted = poll_until(Duration::from_secs(10), || {
        autolearn(admin, "spam", "learned") == 3.0 && autolearn(admin, "ham", "learned") == 2.0
    });
    assert!(counted, "{}", server.log());
    // The cap held, and the allow-listed sender was never learned.
    assert_eq!(autolearn(admin, "spam", "learned"), 3.0);
    assert_eq!(autolearn(admin, "spam", "skipped_sender_cap"), 2.0);
    assert_eq!(autolearn(admin, "ham", "learned"), 2.0);
    assert_eq!(autolearn(admin, "ham", "skipped_allowlist"), 2.0);
    assert_eq!(
        metric(admin, "moat_bayes_autolearn_flush_errors_total"),
        0.0
    );
    assert!(std::fs::metadata(moat::bayes::store::lock_path(&model)).is_ok());
}

/// At SIGTERM the queue is saved (within the shutdown grace), not lost with the process.
#[test]
fn autolearn_queue_is_saved_at_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let mut server = Moat::start(&config(dir.path(), &model, "1h"));
    let from = "colleague@work.test";
    let reply = send(&server, from, &message(false, 300, from));
    assert!(reply.starts_with("250"), "{reply}");
    assert_eq!(counts(&model), (25, 25), "not before the flush");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert_eq!(counts(&model), (25, 26), "{}", server.log());
    assert!(
        server.log().contains("autolearn: 0 spam, 1 ham learned"),
        "{}",
        server.log()
    );
}

/// `moat learn` and autolearn on one model file take turns on `<model>.lock`: while another
/// learner holds it, the server's flush keeps its batch for the next flush and `moat learn`
/// waits; once it is free, both learn and neither loses the other's messages.
#[test]
fn autolearn_and_moat_learn_take_turns_on_the_model_lock() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let server = Moat::start(&config(dir.path(), &model, "100ms"));
    // This test is the other learner.
    let held = moat::bayes::store::try_lock(&model).unwrap().expect("free");
    let from = "colleague@work.test";
    let reply = send(&server, from, &message(false, 400, from));
    assert!(reply.starts_with("250"), "{reply}");
    assert!(
        server.wait_log("messages wait for the next flush"),
        "{}",
        server.log()
    );
    assert_eq!(
        counts(&model),
        (25, 25),
        "nothing saved under another's lock"
    );
    // `moat learn` waits for the lock too.
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    for n in 500..503 {
        std::fs::write(extra.join(format!("{n}.eml")), message(true, n, "x@y.test")).unwrap();
    }
    let mut learn = Command::new(moat_bin())
        .args(["learn", "--model"])
        .arg(&model)
        .arg("--spam")
        .arg(&extra)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = common::moat::Log::collect(learn.stderr.take().unwrap(), "learn");
    assert!(
        log.wait_for("waiting for", Duration::from_secs(20)),
        "{}",
        log.text()
    );
    drop(held);
    assert!(learn.wait().unwrap().success(), "{}", log.text());
    let both = poll_until(Duration::from_secs(20), || counts(&model) == (28, 26));
    assert!(both, "model now {:?}\n{}", counts(&model), server.log());
}

/// With the model in Redis, a flush publishes a new version (compare-and-set against the
/// one it read) that the running server picks up at its version poll.
#[test]
fn autolearn_publishes_a_new_model_version_to_redis() {
    let Some(redis) =
        common::redis::Redis::start("autolearn_publishes_a_new_model_version_to_redis")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let yaml = format!(
        "hostname: mx.test\nlisten: [127.0.0.1:{{PORT}}]\ndomains: [example.test]\n\
         backend:\n  protocol: maildir\n  path: {{DIR}}/mail\n\
         rules:\n  files: [{}]\n\
         state:\n  backend: redis\n  url: {}\n\
         bayes:\n  storage: redis\n  poll: 100ms\n  min_spam: 20\n  min_ham: 20\n\
         \x20 autolearn:\n    enabled: true\n    every: 100ms\n",
        dir.path().join("rules.yaml").display(),
        redis.url()
    );
    let server = Moat::start(&yaml);
    // `moat learn` with the server's configuration publishes version 1.
    corpus(dir.path());
    let out = Command::new(moat_bin())
        .args(["learn", "--config"])
        .arg(&server.config_path)
        .arg("--spam")
        .arg(dir.path().join("spam"))
        .arg("--ham")
        .arg(dir.path().join("ham"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        server.wait_log_until(|l| l.contains("bayes model loaded") && l.contains("version 1")),
        "{}",
        server.log()
    );
    for n in 600..602 {
        let from = "colleague@work.test";
        let reply = send(&server, from, &message(false, n, from));
        assert!(reply.starts_with("250"), "{reply}");
    }
    // The flush publishes version 2; the server loads it at its poll.
    assert!(
        server.wait_log_until(|l| l.contains("bayes model loaded")
            && l.contains("version 2")
            && l.contains("ham=27")),
        "{}",
        server.log()
    );
}
