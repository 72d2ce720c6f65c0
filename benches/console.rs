//! The web console's page answer times with 100,000 held messages (issue 21: p99 < 50 ms).
//! The router is called in-process with a logged-in admin's cookie, so a sample is the
//! handler, the index filter, the template and the headers — everything but TCP. First a
//! plain loop of 300 requests per page prints p50 and p99; then criterion measures the mean.
//!
//!   cargo bench --bench console

use axum::body::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use moat::config::Config;
use moat::console::index::{Index, Row};
use moat::console::session::Role;
use moat::console::{Current, State};
use moat::store::quarantine::Meta;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::Service;

const HELD: usize = 100_000;

fn rows() -> Vec<Row> {
    (0..HELD)
        .map(|n| {
            Row::new(Meta {
                id: format!("1796342400-{n:05}-1-{n}"),
                time: 1_796_342_400 - n as u64 * 30,
                reference: format!("ref-{n}"),
                client_ip: "192.0.2.7".into(),
                helo: "spam.example".into(),
                mail_from: format!("sender{}@origin{}.test", n % 977, n % 53),
                rcpt_to: vec![format!("user{}@example.test", n % 5000)],
                score: 5.0 + (n % 100) as f64 / 10.0,
                tests: if n % 7 == 0 {
                    "URIBL_HIT,HTML_ONLY".into()
                } else {
                    "MISSING_DATE".into()
                },
                subject: format!("Offer number {n} for you"),
            })
        })
        .collect()
}

fn setup(rt: &tokio::runtime::Runtime) -> (axum::Router, String) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "hostname: mx.example.test\nlisten: [127.0.0.1:2525]\ndomains: [example.test]\nbackend:\n  protocol: maildir\n  path: {0}/mail\nquarantine:\n  path: {0}/q\n",
        dir.path().display()
    );
    let path = dir.path().join("moat.yaml");
    std::fs::write(&path, yaml).unwrap();
    let config = Config::load(&path).expect("bench config");
    let runtime =
        rt.block_on(async { Arc::new(moat::runtime::Runtime::new(config).expect("runtime")) });
    let current: Current = Arc::new(move || runtime.clone());
    let mut state = State::new(current).unwrap();
    state.index = Index::from_rows(rows());
    let cookie = state
        .sessions
        .create("root".into(), Role::Admin, Instant::now());
    std::mem::forget(dir);
    (
        moat::console::router(Arc::new(state)),
        format!("moat_console={cookie}"),
    )
}

fn answer(
    rt: &tokio::runtime::Runtime,
    router: &mut axum::Router,
    cookie: &str,
    target: &str,
) -> Duration {
    let req = axum::http::Request::get(target)
        .header("cookie", cookie)
        .extension(moat::console::Peer(([127, 0, 0, 1], 1).into()))
        .body(Body::empty())
        .unwrap();
    let start = Instant::now();
    let res = rt.block_on(async {
        let res = router.call(req).await.unwrap();
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
    });
    let took = start.elapsed();
    assert!(res.len() > 500, "{target}: a page");
    took
}

const PAGES: [(&str, &str); 5] = [
    ("list_first_page", "/quarantine"),
    ("list_deep_page", "/quarantine?page=1500"),
    ("list_search_subject", "/quarantine?q=number+99999"),
    (
        "list_filters",
        "/quarantine?sender=origin7&finding=URIBL_HIT&min_score=9",
    ),
    ("dashboard", "/"),
];

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut router, cookie) = setup(&rt);
    for (name, target) in PAGES {
        let mut times: Vec<Duration> = (0..300)
            .map(|_| answer(&rt, &mut router, &cookie, target))
            .collect();
        times.sort();
        let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        eprintln!(
            "console {name} with {HELD} held: p50 {:?} p99 {:?} (target p99 < 50 ms)",
            p(0.5),
            p(0.99)
        );
    }
    let mut g = c.benchmark_group("console");
    g.sample_size(20);
    for (name, target) in PAGES {
        g.bench_function(name, |b| {
            b.iter(|| answer(&rt, &mut router, &cookie, target))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
