//! Acceptance 2: a real Prometheus (Debian's `prometheus`) scrapes Moat on loopback; its API
//! returns `moat_messages_total`, and every PromQL expression of the Grafana dashboard and
//! of the alert rules evaluates without error against it (the alert rules are also loaded
//! by that Prometheus, so a rule it cannot evaluate would show up as unhealthy).

use super::support::*;
use crate::common::fault_backend::FaultBackend;
use crate::common::moat::free_port;
use crate::common::tools;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Prometheus server in a temporary directory; killed when dropped.
struct Prometheus {
    addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo("deploy/prometheus/alerts.yaml"),
            dir.path().join("alerts.yaml"),
        )
        .unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - alerts.yaml\n\
             scrape_configs:\n  - job_name: moat\n    static_configs:\n      - targets: [\"{target}\"]\n"
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(tools::find_program("prometheus").unwrap())
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        Prometheus {
            addr,
            child,
            _dir: dir,
        }
    }

    /// GET on the HTTP API; (status, parsed JSON) or `None` while it is not up yet.
    fn api(&self, path_and_query: &str) -> Option<(u16, serde_json::Value)> {
        std::net::TcpStream::connect(self.addr).ok()?;
        let (status, body) = http(self.addr, "GET", path_and_query);
        Some((status, serde_json::from_str(&body).ok()?))
    }

    fn query(&self, expr: &str) -> (u16, serde_json::Value) {
        self.api(&format!("/api/v1/query?query={}", encode(expr)))
            .expect("prometheus answers")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a query parameter value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Grafana's variables, replaced the way Grafana would before sending a query.
fn grafana_to_promql(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$__range", "5m")
        .replace("$__interval", "15s")
        .replace("$instance", ".*")
}

/// Every `expr` of the dashboard's panels.
fn dashboard_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(repo("deploy/grafana/moat.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            exprs.push(grafana_to_promql(target["expr"].as_str().unwrap()));
        }
    }
    exprs
}

/// Every `expr` of the alert rules.
fn alert_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(repo("deploy/prometheus/alerts.yaml")).unwrap();
    let rules: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            exprs.push(rule["expr"].as_str().unwrap().to_string());
        }
    }
    exprs
}

/// Retries `f` until it returns `Some` or 30 s pass (Prometheus cannot signal a scrape).
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let mut found = None;
    let done = crate::common::poll::poll_until(Duration::from_secs(30), || {
        found = f();
        found.is_some()
    });
    assert!(done, "timed out waiting for {what}");
    found.unwrap()
}

#[test]
fn prometheus_scrapes_moat_and_every_dashboard_and_alert_query_evaluates() {
    if !tools::have("prometheus_scrape", &["prometheus"]) {
        return;
    }
    let backend = FaultBackend::normal();
    let a = start(&backend, "text");
    for i in 0..3 {
        assert!(send(&a.moat, &format!("m{i}")).starts_with("250"));
    }
    let prometheus = Prometheus::start(a.admin);

    let series = eventually("moat_messages_total in Prometheus", || {
        let (status, v) = prometheus.api("/api/v1/query?query=moat_messages_total")?;
        let result = v["data"]["result"].as_array()?.clone();
        (status == 200 && !result.is_empty()).then_some(result)
    });
    let total: f64 = series
        .iter()
        .map(|s| s["value"][1].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 3.0, "{series:?}");
    assert_eq!(series[0]["metric"]["job"], "moat");

    let exprs: Vec<String> = dashboard_exprs().into_iter().chain(alert_exprs()).collect();
    assert!(exprs.len() > 20, "dashboard and alerts have their queries");
    for expr in &exprs {
        let (status, v) = prometheus.query(expr);
        assert_eq!(
            (status, v["status"].as_str()),
            (200, Some("success")),
            "{expr}\n{v}"
        );
    }

    // Prometheus loaded the alert rules and evaluates them without error.
    let rules = eventually("rule evaluation", || {
        let (_, v) = prometheus.api("/api/v1/rules")?;
        let rules: Vec<serde_json::Value> = v["data"]["groups"][0]["rules"].as_array()?.clone();
        rules
            .iter()
            .all(|r| r["lastEvaluation"].as_str() != Some("0001-01-01T00:00:00Z"))
            .then_some(rules)
    });
    assert_eq!(rules.len(), alert_exprs().len());
    for rule in &rules {
        assert_eq!(rule["health"], "ok", "{rule}");
    }
}
