//! The sans-I/O SMTP core on its hot inputs: the command parser (commands/s) and the DATA
//! receiver (MB/s of message text, dot-unstuffing and end-marker search included).
//!
//!   cargo bench --bench protocol

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use moat::config::BareNewline;
use moat::smtp::command;
use moat::smtp::data::DataReceiver;
use std::hint::black_box;

/// One client transaction's command lines, as a typical sender writes them.
const COMMANDS: &[&[u8]] = &[
    b"EHLO mail.sender.example",
    b"MAIL FROM:<newsletter+bounce-1234@lists.sender.example> SIZE=48213 BODY=8BITMIME",
    b"RCPT TO:<alice@example.test>",
    b"RCPT TO:<bob.smith@example.test>",
    b"DATA",
    b"RSET",
    b"QUIT",
];

fn commands(c: &mut Criterion) {
    let mut group = c.benchmark_group("command_parser");
    group.throughput(Throughput::Elements(COMMANDS.len() as u64));
    group.bench_function("transaction_7_commands", |b| {
        b.iter(|| {
            for line in COMMANDS {
                let _ = black_box(command::parse(black_box(line)));
            }
        })
    });
    group.finish();
}

/// A message of about `size` bytes: 72-column text lines, some starting with a dot (which
/// the client stuffed), then the end marker.
fn stuffed_message(size: usize) -> Vec<u8> {
    let mut m =
        b"From: a@sender.example\r\nTo: alice@example.test\r\nSubject: load\r\n\r\n".to_vec();
    let mut n = 0;
    while m.len() < size {
        if n % 20 == 0 {
            m.extend_from_slice(
                b"..a line the client dot-stuffed because it starts with a dot\r\n",
            );
        } else {
            m.extend_from_slice(
                b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n",
            );
        }
        n += 1;
    }
    m.extend_from_slice(b".\r\n");
    m
}

fn data(c: &mut Criterion) {
    let mut group = c.benchmark_group("data_receiver");
    for size in [4 << 10, 100 << 10, 10 << 20] {
        let msg = stuffed_message(size);
        group.throughput(Throughput::Bytes(msg.len() as u64));
        // Fed in 16 KiB reads, as the connection reads from its socket.
        group.bench_with_input(BenchmarkId::new("16k_reads", size), &msg, |b, msg| {
            b.iter(|| {
                let mut rx = DataReceiver::new(64 << 20, 1 << 20, BareNewline::Reject, msg.len());
                for chunk in msg.chunks(16 << 10) {
                    if rx.feed(black_box(chunk)).is_some() {
                        break;
                    }
                }
                black_box(rx.finish().expect("a clean message"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, commands, data);
criterion_main!(benches);
