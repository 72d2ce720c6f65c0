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
mod tests;
