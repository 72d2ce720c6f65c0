//! The rules engine with the whole default pack loaded, over a sample of messages: parse and
//! extract once, then every rule. Criterion reports the throughput in messages/s ("elem/s").
//!
//!   cargo bench --bench rules
//!   MOAT_BENCH_MESSAGES=/var/tmp/moat-corpus/spam-1 cargo bench --bench rules   # real mail
//!
//! Without MOAT_BENCH_MESSAGES a built-in sample is used (plain, HTML spam, phishing,
//! multipart with attachment), so the bench needs nothing outside the repository.
//!
//! `with_bayes` adds the statistical classifier on the same parsed message, with a model
//! trained on the sample itself plus MOAT_BENCH_HAM (a directory of ham) when set.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use moat::bayes::{Classifier, learn, model::Class, model::Model};
use moat::config::bayes::BayesConfig;
use moat::rules::facts::{Envelope, Facts};
use moat::rules::{RuleSet, builtin};
use std::hint::black_box;

fn read_dir(dir: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("a directory of messages")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .take(500)
        .filter_map(|f| std::fs::read(f).ok())
        .collect()
}

/// A model from the sample (as spam) and MOAT_BENCH_HAM (as ham) or the sample's first
/// message, so that every bench message has known tokens to combine.
fn classifier(messages: &[Vec<u8>]) -> Classifier {
    let mut model = Model::default();
    for m in messages {
        learn::learn_one(&mut model, m, Class::Spam);
    }
    let ham = std::env::var("MOAT_BENCH_HAM")
        .map(|d| read_dir(&d))
        .unwrap_or_else(|_| messages[..1].to_vec());
    for m in &ham {
        learn::learn_one(&mut model, m, Class::Ham);
    }
    Classifier {
        model,
        config: BayesConfig::default(),
    }
}

fn sample() -> Vec<Vec<u8>> {
    if let Ok(dir) = std::env::var("MOAT_BENCH_MESSAGES") {
        return read_dir(&dir);
    }
    let plain = "From: Anna <anna@family.test>\r\nTo: tom@example.test\r\nSubject: Sunday lunch\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <1@family.test>\r\n\r\nHi Tom,\r\nare you coming on Sunday? Mum is making soup.\r\nAnna\r\n".to_string();
    let html = format!(
        "From: Deals <deals@shop.example>\r\nTo: tom@example.test\r\nSubject: FREE GIFT FOR YOU!!!\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><body><CENTER><FONT SIZE=5 color=red>Click here</FONT></CENTER>{}<a href=\"http://198.51.100.7/x\">www.bank.com</a> To be removed from our list reply with remove.</body></html>\r\n",
        "<p>Act now! Limited time offer, no obligation, money back guarantee. Lose weight fast.</p>".repeat(40)
    );
    let phish = "From: \"PayPal Security\" <x@pp.example>\r\nTo: tom@example.test\r\nSubject: Your account has been limited\r\n\r\nDear Customer,\r\nwe noticed unusual activity. Verify your account within 24 hours at http://paypal.com.login.secure.evil.test/verify.php\r\n".to_string();
    let attach = format!(
        "From: a@b.example\r\nTo: tom@example.test\r\nSubject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease see the attached invoice.\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n".repeat(300)
    );
    vec![
        plain.into_bytes(),
        html.into_bytes(),
        phish.into_bytes(),
        attach.into_bytes(),
    ]
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::compile(builtin::sources()).expect("the default pack compiles");
    let messages = sample();
    let env = Envelope {
        client_ip: [203, 0, 113, 5].into(),
        helo: "mail.sender.example".into(),
        mail_from: "a@sender.example".into(),
        rcpt_to: vec!["tom@example.test".into()],
    };
    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function(format!("default_pack_{}_rules", rules.len()), |b| {
        b.iter(|| {
            for m in &messages {
                let facts = Facts::extract(black_box(m), &env, 1_767_225_600);
                black_box(rules.evaluate(&facts));
            }
        })
    });
    let bayes = classifier(&messages);
    group.bench_function(
        format!("default_pack_{}_rules_with_bayes", rules.len()),
        |b| {
            b.iter(|| {
                for m in &messages {
                    let facts = Facts::extract(black_box(m), &env, 1_767_225_600);
                    black_box(rules.evaluate(&facts));
                    black_box(bayes.finding(&facts));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
