//! Unit tests of the metrics registry and of the central counting of checks.

use super::*;

/// Moat's own metrics are `moat_*`; the only others are the standard `process_*` ones.
#[test]
fn every_metric_is_named_moat_and_build_info_is_one() {
    let text = get().render();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.starts_with("moat_") || line.starts_with("process_"),
            "{line}"
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    assert!(text.contains(&format!("moat_build_info{{version=\"{version}\"}} 1")));
}

#[test]
fn message_counts_action_reply_class_and_bytes() {
    let before = get().messages.with_label_values(&["accept", "4xx"]).get();
    let bytes = get().received_bytes.get();
    message("accept", 451, 100);
    assert_eq!(
        get().messages.with_label_values(&["accept", "4xx"]).get(),
        before + 1
    );
    assert!(get().received_bytes.get() >= bytes + 100);
}

#[test]
fn code_class_is_bounded() {
    assert_eq!(code_class(250), "2xx");
    assert_eq!(code_class(451), "4xx");
    assert_eq!(code_class(554), "5xx");
    assert_eq!(code_class(0), "other");
    assert_eq!(code_class(999), "other");
}

/// A check that finds what it is given; `rules` findings are also rule hits.
struct Finds(&'static str, &'static [&'static str]);
impl crate::checks::Check for Finds {
    fn name(&self) -> &'static str {
        self.0
    }
    fn check<'a>(&'a self, _: &'a crate::checks::MessageContext) -> crate::checks::CheckFuture<'a> {
        let ids = self.1;
        Box::pin(async move {
            ids.iter()
                .map(|id| crate::checks::Finding {
                    id: id.to_string(),
                    score: 1.0,
                    reason: String::new(),
                    force: None,
                })
                .collect()
        })
    }
}

#[tokio::test]
async fn checks_are_counted_and_timed_without_code_of_their_own() {
    use crate::checks::{Checks, MessageContext};
    use std::sync::Arc;
    let results = |check: &str, result: &str| {
        get()
            .check_results
            .with_label_values(&[check, result])
            .get()
    };
    let before = (
        results("metricstest", "METRICS_X"),
        results("metricsclean", "clean"),
        get().rule_hits.with_label_values(&["METRICS_RULE"]).get(),
    );
    let checks = Checks::new(vec![
        Arc::new(Finds("metricstest", &["METRICS_X"])),
        Arc::new(Finds("metricsclean", &[])),
        Arc::new(Finds("rules", &["METRICS_RULE"])),
    ]);
    let message = Arc::new(MessageContext {
        reference: "T-1".into(),
        client_ip: "127.0.0.1".parse().unwrap(),
        helo: "c.test".into(),
        tls: None,
        from: crate::smtp::address::ReversePath::Null,
        recipients: Vec::new(),
        body: Arc::new(b"Subject: x\r\n\r\nhi\r\n".to_vec()),
        facts: Default::default(),
    });
    checks.run(message).await;
    assert_eq!(results("metricstest", "METRICS_X"), before.0 + 1);
    assert_eq!(results("metricsclean", "clean"), before.1 + 1);
    assert_eq!(
        get().rule_hits.with_label_values(&["METRICS_RULE"]).get(),
        before.2 + 1
    );
    let timed = get()
        .stage_duration
        .with_label_values(&["check_metricstest"])
        .get_sample_count();
    assert!(timed >= 1);
}

#[test]
fn dns_lookups_and_quarantine_size_are_recorded() {
    let before = get()
        .dns_lookups
        .with_label_values(&["txt", "timeout"])
        .get();
    dns_lookup("txt", "timeout", 0.5);
    assert_eq!(
        get()
            .dns_lookups
            .with_label_values(&["txt", "timeout"])
            .get(),
        before + 1
    );
    let latency = get().dns_duration.with_label_values(&["txt"]);
    assert!(latency.get_sample_count() >= 1);
    quarantine_size(3, 3000);
    assert_eq!(get().quarantine_messages.get(), 3);
    assert_eq!(get().quarantine_bytes.get(), 3000);
}
