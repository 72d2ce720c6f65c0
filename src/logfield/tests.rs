#[test]
fn optional_log_values_print_without_some() {
    let addr: Option<std::net::SocketAddr> = "127.0.0.1:2525".parse().ok();
    assert_eq!(super::or_unknown(addr), "127.0.0.1:2525");
    assert_eq!(super::or_unknown(None::<u16>), "unknown");
}
