//! `moat serve --listen ADDR[,ADDR…] --admin ADDR` (or `MOAT_LISTEN` / `MOAT_ADMIN`): the
//! addresses a running instance binds, over what its configuration says, so that two
//! instances can run on one machine from the same file — or from the embedded default,
//! which has no file to edit. Flags win over the environment. They hold for the life of the
//! process: every reload applies them again, so a reload neither rebinds nor warns that
//! `listen` changed.

use super::Config;
use std::net::SocketAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces `listen` when set.
    pub listen: Option<Vec<SocketAddr>>,
    /// Replaces `admin.listen` when set; `Some(None)` turns the admin listener off.
    pub admin: Option<Option<SocketAddr>>,
}

impl Overrides {
    /// From the flags, else the variables `env` returns (`MOAT_LISTEN`, `MOAT_ADMIN`).
    /// `listen` is a comma-separated list of `ip:port`; `admin` is one `ip:port`, or empty
    /// or `off` for none. An unparsable value is an error naming its source.
    pub fn from_flags_and_env(
        listen: Option<&str>,
        admin: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Overrides, String> {
        let pick = |flag: Option<&str>, flag_name: &str, var: &str| match flag {
            Some(v) => Some((v.to_string(), flag_name.to_string())),
            None => env(var).map(|v| (v, var.to_string())),
        };
        let mut out = Overrides::default();
        if let Some((text, from)) = pick(listen, "--listen", "MOAT_LISTEN") {
            let addrs: Result<Vec<SocketAddr>, _> = text
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse::<SocketAddr>().map_err(|_| a.to_string()))
                .collect();
            match addrs {
                Ok(a) if !a.is_empty() => out.listen = Some(a),
                Ok(_) => return Err(format!("{from}: no address given (ip:port[,ip:port…])")),
                Err(bad) => return Err(format!("{from}: `{bad}` is not an ip:port address")),
            }
        }
        if let Some((text, from)) = pick(admin, "--admin", "MOAT_ADMIN") {
            let text = text.trim();
            out.admin = Some(if text.is_empty() || text == "off" {
                None
            } else {
                Some(text.parse().map_err(|_| {
                    format!("{from}: `{text}` is not an ip:port address (or `off`)")
                })?)
            });
        }
        Ok(out)
    }

    /// Puts the overridden addresses into `config`.
    pub fn apply(&self, config: &mut Config) {
        if let Some(listen) = &self.listen {
            config.listen = listen.clone();
        }
        if let Some(admin) = self.admin {
            config.admin.listen = admin;
        }
    }
}

#[cfg(test)]
mod tests {
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
        let o =
            Overrides::from_flags_and_env(Some("127.0.0.1:2700, [::1]:2700"), None, &e).unwrap();
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
        let e =
            Overrides::from_flags_and_env(None, None, &env(&[("MOAT_LISTEN", "x:1")])).unwrap_err();
        assert!(e.contains("MOAT_LISTEN") && e.contains("`x:1`"), "{e}");
        let e = Overrides::from_flags_and_env(None, Some("nowhere"), &env(&[])).unwrap_err();
        assert!(e.contains("--admin") && e.contains("nowhere"), "{e}");
        let e = Overrides::from_flags_and_env(Some(" , "), None, &env(&[])).unwrap_err();
        assert!(e.contains("no address"), "{e}");
    }
}
