/// A reload keeps the process's one memory budget (with what running messages hold) and
/// applies the new `limits.max_memory` to it.
#[tokio::test]
async fn memory_budget_is_kept_across_reloads_with_the_new_limit() {
    let config = |max_memory: &str| {
        let yaml = format!(
            "hostname: mx.test\nlisten: [\"127.0.0.1:0\"]\ndomains: [a.test]\nbackend:\n  protocol: maildir\n  path: m\nlimits:\n  max_message_size: 1MiB\n  max_memory: {max_memory}\n"
        );
        crate::config::Config::from_yaml(&yaml, "t.yaml").unwrap()
    };
    let server = super::Server::bind(config("64MiB")).await.unwrap();
    let reloader = server.reloader();
    let before = reloader.current().session.memory.clone();
    let mut held = before.reservation();
    assert!(held.grow_to(10 << 20));
    reloader.reload(config("32MiB")).unwrap();
    let after = reloader.current().session.memory.clone();
    assert!(
        std::sync::Arc::ptr_eq(&before, &after),
        "one budget per process"
    );
    assert_eq!((after.limit(), after.used()), (32 << 20, 10 << 20));
    drop(held);
    assert_eq!(after.used(), 0);
}

/// 300 clients connecting at once, none accepted yet: the kernel completes every
/// handshake into the backlog. With tokio's default of 128, the rest would wait a
/// second or more for their SYNs to be retried.
#[tokio::test]
async fn a_burst_of_connections_fits_in_the_listen_backlog() {
    let listener = crate::inbound::listener::bind("127.0.0.1:0".parse().unwrap(), 1024).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::new();
    for _ in 0..300 {
        let connect = tokio::net::TcpStream::connect(addr);
        let client = tokio::time::timeout(std::time::Duration::from_millis(900), connect)
            .await
            .expect("handshake completed without a SYN retry")
            .unwrap();
        clients.push(client);
    }
    assert_eq!(clients.len(), 300);
}
