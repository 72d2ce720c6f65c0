//! Acceptance 1: after N messages with known outcomes, /metrics parses with promtool and the
//! counters equal N split by action and reply class.

use super::support::*;
use crate::common::fault_backend::{Fault, FaultBackend};
use crate::common::tools;

#[test]
fn metrics_count_every_message_by_action_and_reply_and_promtool_accepts_them() {
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    let accepted = "moat_connections_total{reason=\"ok\",result=\"accepted\"}";
    // `start` does not connect (Moat reports its addresses): the baseline is Moat's own.
    let connected_before = sample(&http(a.admin, "GET", "/metrics").1, accepted);
    for i in 0..3 {
        assert!(send(&a.moat, &format!("ok {i}")).starts_with("250"));
    }
    backend.set_fault(Fault::EndOfData("451 4.3.0 Try again later".into()));
    for i in 0..2 {
        assert!(send(&a.moat, &format!("later {i}")).starts_with("451"));
    }
    backend.set_fault(Fault::EndOfData("554 5.7.1 Not wanted".into()));
    assert!(send(&a.moat, "never").starts_with("554"));

    // A session is counted when it has ended, just after its QUIT reply: wait for the last.
    let quit = "moat_sessions_total{end=\"quit\"}";
    let mut text = String::new();
    crate::common::poll::poll_until(std::time::Duration::from_secs(5), || {
        let (status, body) = http(a.admin, "GET", "/metrics");
        assert_eq!(status, 200);
        text = body;
        sample(&text, quit) >= 6.0
    });
    // Every message is counted once, under its action and the class of the reply.
    assert_eq!(sum(&text, "moat_messages_total"), 6.0, "{text}");
    let accept = |reply| {
        sample(
            &text,
            &format!("moat_messages_total{{action=\"accept\",reply=\"{reply}\"}}"),
        )
    };
    assert_eq!(
        (accept("2xx"), accept("4xx"), accept("5xx")),
        (3.0, 2.0, 1.0),
        "{text}"
    );
    // The backend's answers, the sessions and the connections match.
    let relay = |r, c| {
        sample(
            &text,
            &format!("moat_relay_results_total{{code_class=\"{c}\",result=\"{r}\"}}"),
        )
    };
    assert_eq!(relay("accepted", "2xx"), 3.0, "{text}");
    assert_eq!(relay("deferred", "4xx"), 2.0, "{text}");
    assert_eq!(relay("rejected", "5xx"), 1.0, "{text}");
    assert_eq!(
        sample(&text, "moat_sessions_total{end=\"quit\"}"),
        6.0,
        "{text}"
    );
    assert_eq!(sample(&text, accepted) - connected_before, 6.0);
    assert_eq!(sample(&text, "moat_message_size_bytes_count"), 6.0);
    assert!(sample(&text, "moat_received_bytes_total") > 0.0);
    assert_eq!(
        sample(
            &text,
            "moat_stage_duration_seconds_count{stage=\"transaction\"}"
        ),
        6.0
    );
    assert!(text.contains(&format!(
        "moat_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    // Label values are bounded: no address or IP of this test appears anywhere.
    for leak in ["sender.test", "example.test", "127.0.0.1"] {
        assert!(!text.contains(leak), "{leak} in metrics:\n{text}");
    }

    if !tools::have("metrics_promtool", &["promtool"]) {
        return;
    }
    let (ok, out) = run("promtool", &["check", "metrics"], &text);
    assert!(ok, "promtool check metrics:\n{out}\n{text}");
}

#[test]
fn connections_over_a_limit_are_counted_as_refused_with_that_limit() {
    let backend = FaultBackend::normal();
    let a = start_with(&backend, "text", "limits:\n  max_connections_per_ip: 1\n");
    let refused = "moat_connections_total{reason=\"per_ip\",result=\"refused\"}";
    let count = || sample(&http(a.admin, "GET", "/metrics").1, refused);
    // No probe connection holds the one slot (Moat reports its addresses): this client has it.
    let mut first = crate::common::client::TcpClient::connect(a.moat.addr);
    assert!(first.reply().starts_with("220"));
    let before = count();
    let mut second = crate::common::client::TcpClient::connect(a.moat.addr);
    assert!(second.reply().starts_with("421"));
    assert_eq!(count(), before + 1.0);
    // Only the first client is open (the gauge drops just after a session's slot is freed).
    let open = || sample(&http(a.admin, "GET", "/metrics").1, "moat_connections_open");
    crate::common::poll::poll_until(std::time::Duration::from_secs(1), || open() == 1.0);
    assert_eq!(open(), 1.0);
}

/// Every metric the shipped Grafana dashboard and Prometheus alerts query exists on the first
/// scrape of a fresh Moat (at zero where nothing happened yet), with the standard `process_*`
/// metrics, and `moat_backend_up` is 1 on that first scrape when the backend answers — a new
/// dashboard shows zeros, not "No data", and no alert fires on a healthy start.
#[test]
fn every_metric_the_dashboard_and_alerts_use_exists_on_the_first_scrape() {
    let backend = FaultBackend::normal();
    let moat = crate::common::moat::Moat::start(&format!(
        "hostname: mx.example.test\nlisten: [\"127.0.0.1:{{PORT}}\"]\ndomains: [example.test]\n\
         backend:\n  protocol: smtp\n  address: {}\nadmin:\n  listen: \"{{ADMIN}}\"\n",
        backend.addr
    ));
    let admin = moat.admin.unwrap();
    let (status, text) = http(admin, "GET", "/metrics");
    assert_eq!(status, 200);
    assert_eq!(
        sample(&text, "moat_backend_up"),
        1.0,
        "first scrape, backend up"
    );

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut queried = std::collections::BTreeSet::new();
    for file in ["deploy/grafana/moat.json", "deploy/prometheus/alerts.yaml"] {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        for word in source.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("moat_") || word.starts_with("process_") {
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| word.strip_suffix(s))
                    .unwrap_or(word);
                queried.insert(family.to_string());
            }
        }
    }
    let missing: Vec<&String> = queried
        .iter()
        .filter(|family| {
            !text.lines().any(|l| {
                l.starts_with(&format!("{family} ")) || l.starts_with(&format!("{family}{{"))
            })
        })
        .filter(|family| !text.contains(&format!("# TYPE {family} histogram")))
        .collect();
    assert!(
        missing.is_empty(),
        "not on the first scrape: {missing:?}\n{text}"
    );
    for family in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(sample(&text, family) > 0.0, "{family}");
    }
    assert!(
        text.contains("moat_rule_hits_total{rule=\"GTUBE\"} 0"),
        "configured rules at zero"
    );
    drop(moat);
}
