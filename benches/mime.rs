//! MIME parse + text extraction: `Facts::extract`, which every message goes through once
//! (headers decoded, parts walked, HTML turned into text, links collected) before any rule or
//! the classifier runs. Reported as messages/s and MB/s.
//!
//!   cargo bench --bench mime
//!   MOAT_BENCH_MESSAGES=/var/tmp/moat-corpus/spam-1 cargo bench --bench mime   # real mail

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use moat::rules::facts::{Envelope, Facts};
use std::hint::black_box;

mod common;

fn bench(c: &mut Criterion) {
    let messages = common::sample();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let env = Envelope {
        client_ip: [203, 0, 113, 5].into(),
        helo: "mail.sender.example".into(),
        mail_from: "a@sender.example".into(),
        rcpt_to: vec!["tom@example.test".into()],
    };
    let extract = |b: &mut criterion::Bencher| {
        b.iter(|| {
            for m in &messages {
                black_box(Facts::extract(black_box(m), &env, 1_767_225_600));
            }
        })
    };
    let mut group = c.benchmark_group("mime");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function(
        format!("facts_extract_{}_messages", messages.len()),
        extract,
    );
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("facts_extract_{}_bytes", bytes), extract);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
