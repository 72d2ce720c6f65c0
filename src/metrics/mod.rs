//! Prometheus metrics: one process-wide registry, named `moat_*`, in base units.
//!
//! Metrics outlive configuration reloads, so they live in a process-wide registry rather
//! than in `Runtime`. Every label value is from a closed set (actions, end reasons, stages,
//! finding ids, check names) — never a domain, an address or an IP — so that the number of
//! series stays bounded whatever the traffic. The functions below are the only way to
//! record; each is called next to the log line of the same event (STYLE.md 8).

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::OnceLock;

/// Latency buckets in seconds: 1 ms … 2 min (a slow backend DATA can take minutes).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];
/// Message size buckets in bytes: 1 KiB … 64 MiB.
const SIZE_BUCKETS: &[f64] = &[
    1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0,
];

/// Every metric Moat exports. Fields are public so that tests can read values directly.
pub struct Metrics {
    registry: Registry,
    pub connections_open: IntGauge,
    pub connections: IntCounterVec,
    pub sessions: IntCounterVec,
    pub connections_shed: IntCounterVec,
    pub messages: IntCounterVec,
    pub received_bytes: IntCounter,
    pub message_size: Histogram,
    pub check_results: IntCounterVec,
    pub rule_hits: IntCounterVec,
    pub stage_duration: HistogramVec,
    pub dns_lookups: IntCounterVec,
    pub dns_duration: HistogramVec,
    pub relay_results: IntCounterVec,
    pub relay_duration: HistogramVec,
    pub pool_events: IntCounterVec,
    pub pool_idle: IntGauge,
    pub tls_handshakes: IntCounterVec,
    pub config_reloads: IntCounterVec,
    pub config_last_reload_successful: IntGauge,
    pub backend_up: IntGauge,
    pub quarantine_messages: IntGauge,
    pub quarantine_bytes: IntGauge,
    pub build_info: IntGaugeVec,
}

/// The process-wide metrics, created on first use.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let m = Metrics::new();
        m.zero_series();
        m
    })
}

/// The configured rules, each at zero hits until it first matches (a dashboard's "rule
/// hits" panel lists them all from the start). Rule ids are a closed, configured set.
pub fn rules_configured<'a>(ids: impl IntoIterator<Item = &'a str>) {
    let m = get();
    for id in ids {
        m.rule_hits.with_label_values(&[id]);
    }
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid gauge");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn histogram(r: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    let h = HistogramVec::new(opts, labels).expect("valid histogram");
    r.register(Box::new(h.clone())).expect("unique metric");
    h
}

impl Metrics {
    fn new() -> Metrics {
        let r = Registry::new();
        crate::store::state::metrics::register(&r);
        crate::store::quarantine::metrics::register(&r);
        crate::malware::metrics::register(&r);
        crate::admin::metrics::register(&r);
        crate::budget::metrics::register(&r);
        crate::doors::register(&r);
        crate::bayes::autolearn::metrics::register(&r);
        crate::console::metrics::register(&r);
        let size_opts = HistogramOpts::new(
            "moat_message_size_bytes",
            "Size of messages received (end of DATA), in bytes.",
        )
        .buckets(SIZE_BUCKETS.to_vec());
        let message_size = Histogram::with_opts(size_opts).expect("valid histogram");
        r.register(Box::new(message_size.clone()))
            .expect("unique metric");
        let build_info = IntGaugeVec::new(
            Opts::new(
                "moat_build_info",
                "Always 1; the label says which version runs.",
            ),
            &["version"],
        )
        .expect("valid gauge");
        r.register(Box::new(build_info.clone()))
            .expect("unique metric");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        let config_last_reload_successful = gauge(
            &r,
            "moat_config_last_reload_successful",
            "1 if the last configuration reload succeeded (or none was tried), 0 if it failed.",
        );
        config_last_reload_successful.set(1);
        Metrics {
            connections_open: gauge(&r, "moat_connections_open", "SMTP connections open now."),
            connections: counter(
                &r,
                "moat_connections_total",
                "SMTP connections accepted or refused; reason says which limit refused them.",
                &["result", "reason"],
            ),
            sessions: counter(
                &r,
                "moat_sessions_total",
                "SMTP sessions ended, by why they ended.",
                &["end"],
            ),
            connections_shed: counter(
                &r,
                "moat_connections_shed_total",
                "Sessions closed with 421 to make room for new connections in a nearly full table, by the kind of session shed.",
                &["victim"],
            ),
            messages: counter(
                &r,
                "moat_messages_total",
                "Messages judged, by the verdict's action and the class of the reply the client got.",
                &["action", "reply"],
            ),
            received_bytes: {
                let c = IntCounter::new(
                    "moat_received_bytes_total",
                    "Bytes of message data received (end of DATA).",
                )
                .expect("valid counter");
                r.register(Box::new(c.clone())).expect("unique metric");
                c
            },
            message_size,
            check_results: counter(
                &r,
                "moat_check_results_total",
                "Check results per message: the finding id, `clean` for none, `failed` if the check crashed.",
                &["check", "result"],
            ),
            rule_hits: counter(
                &r,
                "moat_rule_hits_total",
                "Messages a configured content rule matched, by rule id.",
                &["rule"],
            ),
            stage_duration: histogram(
                &r,
                "moat_stage_duration_seconds",
                "Time spent per processing stage, in seconds.",
                &["stage"],
            ),
            dns_lookups: counter(
                &r,
                "moat_dns_lookups_total",
                "DNS-based verifications (SPF, iprev, DKIM, ARC, DMARC …) by kind and result.",
                &["kind", "result"],
            ),
            dns_duration: histogram(
                &r,
                "moat_dns_lookup_duration_seconds",
                "Latency of DNS-based verifications by kind, in seconds.",
                &["kind"],
            ),
            relay_results: counter(
                &r,
                "moat_relay_results_total",
                "Backend answers to relayed messages (or the error kind), by reply code class.",
                &["result", "code_class"],
            ),
            relay_duration: histogram(
                &r,
                "moat_relay_duration_seconds",
                "Backend latency per SMTP/LMTP step, in seconds.",
                &["step"],
            ),
            pool_events: counter(
                &r,
                "moat_backend_pool_total",
                "Backend connection pool events: hit, miss, returned, stale, expired, retried, closed.",
                &["event"],
            ),
            pool_idle: gauge(
                &r,
                "moat_backend_pool_idle",
                "Idle backend connections held in the pool.",
            ),
            tls_handshakes: counter(
                &r,
                "moat_tls_handshakes_total",
                "STARTTLS handshakes by negotiated version and result.",
                &["version", "result"],
            ),
            config_reloads: counter(
                &r,
                "moat_config_reloads_total",
                "Configuration reloads (SIGHUP or POST /reload) by result.",
                &["result"],
            ),
            config_last_reload_successful,
            backend_up: gauge(
                &r,
                "moat_backend_up",
                "1 if the last backend probe (on /readyz, or in the background on /metrics) reached the backend.",
            ),
            quarantine_messages: gauge(
                &r,
                "moat_quarantine_messages",
                "Messages held in the quarantine store.",
            ),
            quarantine_bytes: gauge(
                &r,
                "moat_quarantine_bytes",
                "Size of the messages held in the quarantine store, in bytes.",
            ),
            build_info,
            registry: r,
        }
    }

    /// The Prometheus text exposition of every metric, the `process_*` ones included.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into a Vec cannot fail");
        let mut text = String::from_utf8(out).expect("the text format is UTF-8");
        text.push_str(&process::render());
        text
    }

    /// Creates, at zero, the series a fresh dashboard queries, so that a new installation
    /// shows zeros rather than "No data" until each event first happens. Every label value
    /// here is one the code records (no placeholder values).
    fn zero_series(&self) {
        self.connections.with_label_values(&["accepted", "ok"]);
        self.sessions.with_label_values(&["quit"]);
        for action in [
            "accept",
            "add_header",
            "rewrite_subject",
            "quarantine",
            "tempfail",
            "reject",
        ] {
            self.messages.with_label_values(&[action, "2xx"]);
        }
        self.check_results.with_label_values(&["rules", "clean"]);
        for stage in ["greeting", "transaction", "relay"] {
            self.stage_duration.with_label_values(&[stage]);
        }
        self.relay_results.with_label_values(&["accepted", "2xx"]);
        self.relay_duration.with_label_values(&["data"]);
        self.tls_handshakes
            .with_label_values(&["TLSv1_3", "success"]);
        self.config_reloads.with_label_values(&["success"]);
        self.config_reloads.with_label_values(&["failure"]);
        for (kind, result) in [
            ("spf", "pass"),
            ("dkim", "pass"),
            ("dmarc", "pass"),
            ("iprev", "pass"),
        ] {
            self.dns_lookups.with_label_values(&[kind, result]);
            self.dns_duration.with_label_values(&[kind]);
        }
    }
}

/// `2xx`, `4xx`, `5xx` for a reply code; `other` for anything else.
pub fn code_class(code: u16) -> &'static str {
    match code / 100 {
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        5 => "5xx",
        _ => "other",
    }
}

/// Records one stage's latency (`greeting`, `check_<name>`, `verdict`, `relay`, `transaction`).
pub fn stage(stage: &str, seconds: f64) {
    get()
        .stage_duration
        .with_label_values(&[stage])
        .observe(seconds);
}

/// One judged message: its action, the reply the client got, and its size.
pub fn message(action: &str, reply_code: u16, size: usize) {
    let m = get();
    m.messages
        .with_label_values(&[action, code_class(reply_code)])
        .inc();
    m.received_bytes.inc_by(size as u64);
    m.message_size.observe(size as f64);
}

/// One DNS-based verification (`kind`: `spf_helo`, `spf`, `iprev`, `dkim`, `arc`, `dmarc`,
/// later `dnsbl` …; `result`: `pass`, `fail`, `none`, `temperror` …). mail-auth makes the
/// individual queries; `temperror` is what a failing or slow DNS looks like. Both label
/// values must come from closed sets.
pub fn dns_lookup(kind: &str, result: &str, seconds: f64) {
    let m = get();
    m.dns_lookups.with_label_values(&[kind, result]).inc();
    m.dns_duration.with_label_values(&[kind]).observe(seconds);
}

/// Runs `future` and also returns how long it took, in seconds.
pub async fn timed<T>(future: impl std::future::Future<Output = T>) -> (T, f64) {
    let started = std::time::Instant::now();
    let out = future.await;
    (out, started.elapsed().as_secs_f64())
}

/// A configured content rule matched a message. `rule` must be a configured rule id.
pub fn rule_hit(rule: &str) {
    get().rule_hits.with_label_values(&[rule]).inc();
}

/// Current size of the quarantine store, for the quarantine to call when it changes.
pub fn quarantine_size(messages: u64, bytes: u64) {
    let m = get();
    m.quarantine_messages
        .set(i64::try_from(messages).unwrap_or(i64::MAX));
    m.quarantine_bytes
        .set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

/// One accepted (`accepted`, `ok`) or refused (`refused`, `total` / `per_ip` /
/// `per_network`) connection.
pub fn connection(result: &str, reason: &str) {
    get().connections.with_label_values(&[result, reason]).inc();
}

/// A session was shed to make room (`victim` is `slots::shed::Victim::as_str`).
pub fn connection_shed(victim: &str) {
    get().connections_shed.with_label_values(&[victim]).inc();
}

/// A session ended (`end` is `conn::End::as_str`).
pub fn session_end(end: &str) {
    get().sessions.with_label_values(&[end]).inc();
}

/// A STARTTLS handshake: `version` as rustls names it (`TLSv1_3`), or `unknown` on failure.
pub fn tls_handshake(version: &str, result: &str) {
    get()
        .tls_handshakes
        .with_label_values(&[version, result])
        .inc();
}

/// Latency of one backend step (`connect`, `mail`, `rcpt`, `mail_rcpt`, `data`, `bdat`).
pub fn relay_step(step: &str, seconds: f64) {
    get()
        .relay_duration
        .with_label_values(&[step])
        .observe(seconds);
}

/// A backend connection pool event (a closed set, see `relay::pool`).
pub fn pool_event(event: &'static str) {
    get().pool_events.with_label_values(&[event]).inc();
}

/// Idle connections added to (`> 0`) or removed from (`< 0`) the pool.
pub fn pool_idle(delta: i64) {
    get().pool_idle.add(delta);
}

/// The backend's answer to a relayed message (`accepted` / `deferred` / `rejected` with its
/// code), or a relay error kind (`connect`, `timeout` … with no code).
pub fn relay_result(result: &str, code: Option<u16>) {
    let class = code.map(code_class).unwrap_or("none");
    get()
        .relay_results
        .with_label_values(&[result, class])
        .inc();
}

/// One check ran on one message: its latency as stage `check_<name>`, and one result per
/// finding id (`clean` when it found nothing). Findings of the `rules` check are also rule
/// hits: their ids are configured rule ids. New checks need no code here.
pub fn check_ran(check: &str, seconds: f64, findings: &[crate::checks::Finding]) {
    let m = get();
    stage(&format!("check_{check}"), seconds);
    if findings.is_empty() {
        m.check_results.with_label_values(&[check, "clean"]).inc();
    }
    for f in findings {
        m.check_results.with_label_values(&[check, &f.id]).inc();
        if check == "rules" {
            rule_hit(&f.id);
        }
    }
}

/// One finding of `check` outside a message's checks (a refusal before the end of DATA, or
/// the lists' verdict): counted like `check_ran`'s findings.
pub fn check_result(check: &str, finding: &str) {
    get()
        .check_results
        .with_label_values(&[check, finding])
        .inc();
}

/// A check crashed (its task panicked).
pub fn check_failed(check: &str) {
    get()
        .check_results
        .with_label_values(&[check, "failed"])
        .inc();
}

/// A configuration reload finished (`ok` or not).
pub fn config_reload(ok: bool) {
    let m = get();
    let result = if ok { "success" } else { "failure" };
    m.config_reloads.with_label_values(&[result]).inc();
    m.config_last_reload_successful.set(i64::from(ok));
}

/// Keeps `moat_connections_open` right however a session ends: decrements on drop.
pub struct OpenConnection(());

impl OpenConnection {
    pub fn new() -> OpenConnection {
        get().connections_open.inc();
        OpenConnection(())
    }
}

impl Default for OpenConnection {
    fn default() -> Self {
        OpenConnection::new()
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        get().connections_open.dec();
    }
}

mod process;

#[cfg(test)]
mod tests;
