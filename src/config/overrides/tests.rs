use super::*;

fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn serve_overrides_flags_win_over_env_and_apply_to_the_embedded_default() {
    let e = env(&[
        ("MOAT_LISTEN", "127.0.0.1:2600"),
        ("MOAT_ADMIN", "127.0.0.1:9600"),
    ]);
    let o = Overrides::from_flags_and_env(Some("127.0.0.1:2700, [::1]:2700"), None, &e).unwrap();
    let mut c = Config::embedded_default();
    o.apply(&mut c);
    assert_eq!(
        c.listen,
        vec![
            "127.0.0.1:2700".parse().unwrap(),
            "[::1]:2700".parse().unwrap()
        ]
    );
    assert_eq!(c.admin.listen, Some("127.0.0.1:9600".parse().unwrap()));
    let off = Overrides::from_flags_and_env(None, Some("off"), &env(&[])).unwrap();
    off.apply(&mut c);
    assert_eq!(c.admin.listen, None);
    assert_eq!(c.listen.len(), 2, "listen untouched without a value");
}

#[test]
fn serve_overrides_bad_values_name_their_source() {
    let e = Overrides::from_flags_and_env(None, None, &env(&[("MOAT_LISTEN", "x:1")])).unwrap_err();
    assert!(e.contains("MOAT_LISTEN") && e.contains("`x:1`"), "{e}");
    let e = Overrides::from_flags_and_env(None, Some("nowhere"), &env(&[])).unwrap_err();
    assert!(e.contains("--admin") && e.contains("nowhere"), "{e}");
    let e = Overrides::from_flags_and_env(Some(" , "), None, &env(&[])).unwrap_err();
    assert!(e.contains("no address"), "{e}");
}
