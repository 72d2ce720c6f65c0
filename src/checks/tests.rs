use super::*;

struct Fixed(f64);
impl Check for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn check<'a>(&'a self, _: &'a MessageContext) -> CheckFuture<'a> {
        let score = self.0;
        Box::pin(async move {
            vec![Finding {
                id: "FIXED".into(),
                score,
                reason: "test".into(),
                force: None,
            }]
        })
    }
}

struct Crashes;
impl Check for Crashes {
    fn name(&self) -> &'static str {
        "crashes"
    }
    fn check<'a>(&'a self, _: &'a MessageContext) -> CheckFuture<'a> {
        Box::pin(async { panic!("boom") })
    }
}

fn message() -> Arc<MessageContext> {
    Arc::new(MessageContext {
        reference: "T-1".into(),
        client_ip: "127.0.0.1".parse().unwrap(),
        helo: "c.test".into(),
        tls: None,
        from: ReversePath::Null,
        recipients: Vec::new(),
        body: Arc::new(b"Subject: x\r\n\r\nhi\r\n".to_vec()),
        facts: Default::default(),
    })
}

/// Rules, the classifier and URIBL all read the decoded message: it is parsed once.
#[test]
fn message_is_decoded_once_for_all_checks() {
    let m = message();
    let first = m.facts_loader()();
    let second = m.facts_loader()();
    assert!(Arc::ptr_eq(&first, &second));
}

#[tokio::test]
async fn crashed_check_costs_only_its_findings() {
    let checks = Checks::new(vec![Arc::new(Fixed(1.5)), Arc::new(Crashes)]);
    let findings = checks.run(message()).await;
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0].id, "FIXED");
    assert_eq!(findings[1].id, "CHECK_FAILED");
}
