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

mod common;
use common::{read_dir, sample};

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
                    black_box(bayes.findings(&facts));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
